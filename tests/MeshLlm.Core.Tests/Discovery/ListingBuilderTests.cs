using MeshLlm.Identity;
using MeshLlm.Membership;
using MeshLlm.Membership.Messages;
using MeshLlm.Models;

namespace MeshLlm.Discovery;

public sealed class ListingBuilderTests
{
    private static readonly ModelCatalog s_catalog = ModelCatalog.LoadEmbedded();

    private static PeerAnnouncement Node(char c, string? serving = null, string? state = "ready", string role = PeerRoles.Host, long vram = 8_000_000_000,
        string[]? onDisk = null, string[]? wanted = null, long startedMs = 1_790_000_000_000) =>
        new()
        {
            Id = new string(c, 64),
            Serving = serving,
            ModelState = serving is null ? null : state,
            Role = role,
            VramBytes = vram,
            ModelsOnDisk = onDisk ?? [],
            Wanted = wanted ?? [],
            StartedMs = startedMs,
        };

    private static MembershipSnapshot Snapshot(PeerAnnouncement self, int clients, params PeerAnnouncement[] peers) =>
        new(1, self, "0123456789abcdef", [.. peers.Select(p => new PeerSnapshot(NodeId.TryParse(p.Id, out var id) ? id : default, p, PeerHealth.Alive, null, true))], clients);

    [Fact]
    public void Listing_ReflectsTheLiveMesh()
    {
        var snapshot = Snapshot(
            Node('a', "Qwen3-8B-Q4_K_M", onDisk: ["Qwen3-8B-Q4_K_M", "Old-Model"], wanted: ["Qwen3-14B-Q4_K_M"], startedMs: 1_790_000_100_000),
            clients: 2,
            Node('b', "Qwen3-8B-Q4_K_M", startedMs: 1_790_000_000_000),
            Node('c', "Local-Model", state: "loading", role: PeerRoles.Standby, onDisk: ["Local-Model"]),
            Node('d', role: PeerRoles.Standby, vram: 4_000_000_000));
        var rates = new Dictionary<string, double> { ["Qwen3-8B-Q4_K_M"] = 3.5, ["Qwen3-14B-Q4_K_M"] = 0 };

        var listing = ListingBuilder.Build(snapshot, new ListingSettings("tok", "x", "EU", 10, "1.2.3"), rates, s_catalog,
            ListingBuilder.MeshStartedMs(snapshot, 0));

        Assert.Equal(["Qwen3-8B-Q4_K_M"], listing.Serving); // loading models are not served yet
        Assert.Equal(["Qwen3-14B-Q4_K_M"], listing.Wanted);
        Assert.Equal(["Local-Model", "Old-Model"], listing.OnDisk);
        Assert.Equal(4, listing.NodeCount);
        Assert.Equal(2, listing.ClientCount);
        Assert.Equal(28_000_000_000, listing.TotalVramBytes);
        Assert.Equal(1_790_000_000, listing.StartedAt); // the longest-running member
        Assert.Equal(("x", "EU", 10, "1.2.3", "0123456789abcdef"), (listing.Name, listing.Region, listing.MaxClients, listing.Version, listing.MeshId));
        var model = Assert.Single(listing.Models);
        Assert.Equal(new ListedModel("Qwen3-8B-Q4_K_M", 2, s_catalog.Find("Qwen3-8B-Q4_K_M")!.Quality.Score, 3.5), model);
        Assert.Equal(new Dictionary<string, double> { ["Qwen3-8B-Q4_K_M"] = 3.5 }, listing.Demand);
        Assert.NotNull(MeshListing.Parse(listing.ToJson(), out _));
    }

    [Fact]
    public void MeshStart_RemembersTheEarliestEvenAfterThatNodeLeft()
    {
        var now = Snapshot(Node('a', startedMs: 2_000), clients: 0, Node('b', startedMs: 3_000));

        Assert.Equal(2_000, ListingBuilder.MeshStartedMs(now, 0));
        Assert.Equal(1_000, ListingBuilder.MeshStartedMs(now, 1_000));
        Assert.Equal(2_000, ListingBuilder.MeshStartedMs(now, 5_000));
    }

    [Fact]
    public void ChoiceKey_ChangesWithNodesReadyAndWantedModels_NotWithDemandOrLoading()
    {
        var key = ListingBuilder.ChoiceKey(Snapshot(Node('a', "m1"), clients: 0, Node('b')));

        Assert.Equal(key, ListingBuilder.ChoiceKey(Snapshot(Node('a', "m1") with { Demand = new Dictionary<string, ModelDemand> { ["m1"] = new(5, 1) } }, clients: 3, Node('b'))));
        Assert.Equal(key, ListingBuilder.ChoiceKey(Snapshot(Node('a', "m1"), clients: 0, Node('b', "m2", state: "loading"))));
        Assert.NotEqual(key, ListingBuilder.ChoiceKey(Snapshot(Node('a', "m1"), clients: 0, Node('b', "m2"))));
        Assert.NotEqual(key, ListingBuilder.ChoiceKey(Snapshot(Node('a', "m1"), clients: 0, Node('b', wanted: ["m3"]))));
        Assert.NotEqual(key, ListingBuilder.ChoiceKey(Snapshot(Node('a', "m1"), clients: 0, Node('b'), Node('c'))));
    }
}
