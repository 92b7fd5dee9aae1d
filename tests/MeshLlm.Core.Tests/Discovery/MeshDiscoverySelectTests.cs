using MeshLlm.Discovery.Nostr;
using MeshLlm.Identity;

namespace MeshLlm.Discovery;

/// <summary>Which verified listing events discovery keeps: newest per publisher, unexpired, parseable, with a valid token.</summary>
public sealed class MeshDiscoverySelectTests
{
    private static readonly DateTimeOffset s_now = DateTimeOffset.FromUnixTimeSeconds(1_795_000_000);

    private static readonly string s_token = NewToken();

    private static string NewToken()
    {
        using var key = NodeKey.Ephemeral();
        return new InviteToken(key.Id, ["127.0.0.1:40000"], MeshId.NewRandom(), InviteToken.NewSecret()).Encode();
    }

    private static NostrEvent Listing(NostrKey key, int nodes, int age = 10, string? content = null, string? token = null, int kind = MeshDiscovery.ListingKind) =>
        key.Sign(kind, [["d", "mesh-llm"], ["k", "mesh-llm"], ["expiration", (s_now.ToUnixTimeSeconds() - age + 120).ToString(System.Globalization.CultureInfo.InvariantCulture)]],
            content ?? new MeshListing { InviteToken = token ?? s_token, Serving = ["m"], NodeCount = nodes }.ToJson(), s_now.AddSeconds(-age));

    [Fact]
    public void NewestPerPublisher_IsKept()
    {
        var one = NostrKey.Generate();
        var two = NostrKey.Generate();

        var found = MeshDiscovery.Select([Listing(one, nodes: 1, age: 50), Listing(one, nodes: 2, age: 5), Listing(two, nodes: 7)], s_now);

        Assert.Equal([2, 7], found.Meshes.Select(m => m.Listing.NodeCount).Order());
    }

    [Fact]
    public void Expired_Malformed_AndBadTokens_AreDroppedWithReasons()
    {
        var found = MeshDiscovery.Select(
        [
            Listing(NostrKey.Generate(), nodes: 1, age: 200),
            Listing(NostrKey.Generate(), nodes: 1, content: "{not json"),
            Listing(NostrKey.Generate(), nodes: 1, token: "not-a-token"),
            Listing(NostrKey.Generate(), nodes: 1, kind: 1),
        ], s_now);

        Assert.Empty(found.Meshes);
        Assert.Equal(3, found.Rejected.Count); // the kind-1 event is not a listing at all
        Assert.Contains(found.Rejected, r => r.Reason.StartsWith("expired", StringComparison.Ordinal));
        Assert.Contains(found.Rejected, r => r.Reason.StartsWith("not a listing", StringComparison.Ordinal));
        Assert.Contains(found.Rejected, r => r.Reason.StartsWith("invalid invite token", StringComparison.Ordinal));
    }
}
