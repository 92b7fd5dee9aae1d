namespace MeshLlm.Discovery;

public sealed class DiscoveryOptionsTests
{
    [Fact]
    public void Defaults_AreUsable()
    {
        Assert.Null(new DiscoveryOptions().Problem());
        Assert.Equal(DiscoveryOptions.DefaultRelays, new DiscoveryOptions().RelayUris().Select(u => u.OriginalString));
    }

    [Theory]
    [InlineData("relay", "Discovery:Relays: 'http://x'")]
    [InlineData("clients", "Discovery:MaxClients")]
    [InlineData("ttl", "Discovery:ListingTtl")]
    [InlineData("query", "Discovery: QueryTimeout")]
    public void EachBadSetting_IsNamed(string what, string expected)
    {
        var options = what switch
        {
            "relay" => new DiscoveryOptions { Relays = ["http://x"] },
            "clients" => new DiscoveryOptions { MaxClients = -1 },
            "ttl" => new DiscoveryOptions { ListingTtl = TimeSpan.FromSeconds(30) },
            _ => new DiscoveryOptions { QueryTimeout = TimeSpan.Zero },
        };

        Assert.StartsWith(expected, options.Problem() ?? "", StringComparison.Ordinal);
    }
}
