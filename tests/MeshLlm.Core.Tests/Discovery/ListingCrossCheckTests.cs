using System.Text.Json;
using MeshLlm.Discovery.Nostr;
using MeshLlm.Identity;
using MeshLlm.Testing;

namespace MeshLlm.Discovery;

/// <summary>Our listings as nostr-tools reads them, and listings nostr-tools signed as we read them (tests/relay/tools.mjs).</summary>
public sealed class ListingCrossCheckTests
{
    private static readonly DateTimeOffset s_at = DateTimeOffset.FromUnixTimeSeconds(1_795_000_000);

    private static string Token()
    {
        using var key = NodeKey.Ephemeral();
        return new InviteToken(key.Id, ["127.0.0.1:40000"], MeshId.NewRandom(), InviteToken.NewSecret()).Encode();
    }

    private static MeshListing Listing(string token) => new()
    {
        InviteToken = token,
        Serving = ["Qwen3-8B-Q4_K_M", "Gemma \"3\" <4B> ünïcode ✓"],
        NodeCount = 3,
        MeshId = "0123456789abcdef",
        StartedAt = 1_794_990_000,
        Models = [new ListedModel("Qwen3-8B-Q4_K_M", 2, 35, 1.5)],
    };

    [Fact]
    public async Task OurListing_NostrToolsVerifiesAndParsesIt()
    {
        var listing = Listing(Token());
        var e = ListingPublisher.CreateEvent(NostrKey.Generate(), listing, s_at, TimeSpan.FromSeconds(120));

        var read = JsonDocument.Parse(await NostrRelay.RunToolWithInputAsync(e.ToJson(), "listing")).RootElement;

        Assert.True(read.GetProperty("valid").GetBoolean(), read.ToString());
        Assert.Equal(120, read.GetProperty("ttl").GetInt32());
        Assert.Equal(listing.InviteToken, read.GetProperty("invite_token").GetString());
        Assert.Equal(listing.Serving, read.GetProperty("serving").EnumerateArray().Select(s => s.GetString()!));
        Assert.Equal(3, read.GetProperty("node_count").GetInt32());
        Assert.Equal("0123456789abcdef", read.GetProperty("mesh_id").GetString());
        Assert.Equal(1_794_990_000, read.GetProperty("started_at").GetInt64());
        Assert.Equal(["Qwen3-8B-Q4_K_M:2:35:1.5"], read.GetProperty("models").EnumerateArray().Select(s => s.GetString()!));
    }

    [Fact]
    public async Task OurListingTampered_NostrToolsRejectsIt()
    {
        var e = ListingPublisher.CreateEvent(NostrKey.Generate(), Listing(Token()), s_at, TimeSpan.FromSeconds(120));
        var tampered = e with { Content = e.Content.Replace("\"node_count\":3", "\"node_count\":30", StringComparison.Ordinal) };

        var read = JsonDocument.Parse(await NostrRelay.RunToolWithInputAsync(tampered.ToJson(), "listing")).RootElement;

        Assert.False(read.GetProperty("valid").GetBoolean());
        Assert.False(tampered.Verify());
    }

    [Fact]
    public async Task ListingSignedByNostrTools_VerifiesAndParsesHere()
    {
        var key = NostrKey.Generate();
        var content = Listing(Token()).ToJson();
        var expiration = (s_at.ToUnixTimeSeconds() + 120).ToString(System.Globalization.CultureInfo.InvariantCulture);
        var json = await NostrRelay.RunToolAsync("sign", key.Nsec, "31990", content,
            $$"""[["d","mesh-llm"],["k","mesh-llm"],["expiration","{{expiration}}"]]""", s_at.ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture));
        var e = NostrEvent.FromJson(JsonDocument.Parse(json).RootElement)!;

        Assert.True(e.Verify());
        var found = MeshDiscovery.Select([e], s_at.AddSeconds(10));
        var mesh = Assert.Single(found.Meshes);
        Assert.Empty(found.Rejected);
        Assert.Equal(key.PublicKeyHex, mesh.Publisher);
        Assert.Equal(content, mesh.Listing.ToJson());
        Assert.Equal(s_at.AddSeconds(120), mesh.ExpiresAt);

        // Past its expiration the same listing is dropped, with the reason.
        var later = MeshDiscovery.Select([e], s_at.AddSeconds(121));
        Assert.Empty(later.Meshes);
        Assert.Contains("expired", Assert.Single(later.Rejected).Reason, StringComparison.Ordinal);
    }
}
