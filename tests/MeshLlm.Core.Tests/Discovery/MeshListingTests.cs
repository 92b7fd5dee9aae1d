namespace MeshLlm.Discovery;

public sealed class MeshListingTests
{
    [Fact]
    public void RoundTrips_AndOmitsAbsentOptionalFields()
    {
        var listing = new MeshListing
        {
            InviteToken = "tok",
            Serving = ["m1"],
            Wanted = ["m2"],
            NodeCount = 3,
            TotalVramBytes = 24_000_000_000,
            StartedAt = 1_790_000_000,
            Version = "0.1.0",
            Models = [new ListedModel("m1", 2, 35, 1.5)],
            Demand = new Dictionary<string, double> { ["m1"] = 1.5, ["m2"] = 0.25 },
        };

        var json = listing.ToJson();
        var parsed = MeshListing.Parse(json, out var error);

        Assert.Equal("", error);
        Assert.NotNull(parsed);
        Assert.Equal(json, parsed.ToJson());
        Assert.DoesNotContain("\"name\"", json.Replace("\"models\":[{\"name\"", "", StringComparison.Ordinal), StringComparison.Ordinal);
        Assert.DoesNotContain("region", json, StringComparison.Ordinal);
    }

    [Fact]
    public void TheOriginalsMinimalListing_Parses_WithDefaults()
    {
        var parsed = MeshListing.Parse("""{"invite_token":"t","serving":["a"],"total_vram_bytes":1,"node_count":1,"unknown_field":{"x":1}}""", out var error);

        Assert.NotNull(parsed);
        Assert.Empty(parsed.Wanted);
        Assert.Empty(parsed.Models);
        Assert.Empty(parsed.Demand);
        Assert.Equal(0, parsed.StartedAt);
    }

    [Theory]
    [InlineData("", "not a listing")]
    [InlineData("[]", "not a listing")]
    [InlineData("null", "not a listing")]
    [InlineData("{\"serving\":[]}", "invite_token")]
    [InlineData("{\"invite_token\":\"\",\"serving\":[]}", "invite_token")]
    [InlineData("{\"invite_token\":\"t\"}", "serving")]
    [InlineData("{\"invite_token\":\"t\",\"serving\":\"m1\"}", "not a listing")]
    [InlineData("{\"invite_token\":\"t\",\"serving\":[1]}", "not a listing")]
    [InlineData("{\"invite_token\":\"t\",\"serving\":[],\"node_count\":\"3\"}", "not a listing")]
    [InlineData("{\"invite_token\":\"t\",\"serving\":[],\"node_count\":-1}", "negative")]
    [InlineData("{\"invite_token\":\"t\",\"serving\":[\" \"]}", "model name")]
    [InlineData("{\"invite_token\":\"t\",\"serving\":[],\"demand\":{\"m\":-1}}", "demand")]
    [InlineData("{\"invite_token\":\"t\",\"serving\":[],\"node_count\":1e999}", "not a listing")]
    public void MalformedContent_IsRejected_WithTheReason(string content, string reason)
    {
        Assert.Null(MeshListing.Parse(content, out var error));
        Assert.Contains(reason, error, StringComparison.Ordinal);
    }

    [Fact]
    public void AFloodOfModels_IsRejected()
    {
        var names = string.Join(',', Enumerable.Range(0, 300).Select(i => $"\"m{i}\""));

        Assert.Null(MeshListing.Parse($"{{\"invite_token\":\"t\",\"serving\":[{names}]}}", out var error));
        Assert.Contains("too many", error, StringComparison.Ordinal);
    }
}
