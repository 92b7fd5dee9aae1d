using MeshLlm.Membership;

namespace MeshLlm.MeshTests;

public sealed class MembershipTests
{
    [Fact]
    public async Task ChainJoin_EveryoneKnowsEveryoneWithTheirState()
    {
        await using var mesh = new TestMesh();
        var a = await mesh.StartAsync("A");
        a.Node.UpdateSelf(s => s with { Serving = "m1", ModelState = "ready", Role = "host" });
        var b = await mesh.StartAsync("B", [a]);
        var c = await mesh.StartAsync("C", [b]);

        Assert.Equal(JoinResult.Started, a.JoinResult);
        Assert.Equal(JoinResult.Joined, b.JoinResult);
        Assert.Equal(JoinResult.Joined, c.JoinResult);
        await TestMesh.WaitAllAsync(mesh.Nodes, (n, s) => s.Peers.Length == 2 && s.Peers.All(p => p.Health == PeerHealth.Alive && p.Connected), "two live, connected peers");
        foreach (var node in mesh.Nodes)
        {
            Assert.All(node.Snapshot.Peers, p => Assert.Equal(mesh.Credentials.Mesh.Value, p.Announcement.Mesh));
            Assert.Equal(mesh.Credentials.Mesh.Value, node.Snapshot.Mesh);
        }

        Assert.Equal("m1", c.Peer(a)!.Announcement.Serving);
        Assert.Equal("ready", c.Peer(a)!.Announcement.ModelState);
    }

    [Fact]
    public async Task StateChange_ReachesPeersThatCanOnlyHearItThroughAThirdNode()
    {
        await using var mesh = new TestMesh();
        var hub = await mesh.StartAsync("hub");
        // A and C have no dialable address (behind NAT): they can never connect to each other, only to the hub.
        var a = await mesh.StartAsync("A", [hub], reachable: false);
        var c = await mesh.StartAsync("C", [hub], reachable: false);
        await TestMesh.WaitAllAsync(mesh.Nodes, (n, s) => s.Peers.Length == 2, "two peers");
        Assert.False(a.Peer(c)!.Connected);

        a.Node.UpdateSelf(s => s with { Serving = "m2", ModelState = "loading" });
        await c.WaitAsync(s => s.Find(a.Id)?.Announcement is { Serving: "m2", ModelState: "loading" }, "A's new state via the hub");
        a.Node.UpdateSelf(s => s with { ModelState = "ready" });
        await c.WaitAsync(s => s.Find(a.Id)?.Announcement.ModelState == "ready", "A ready via the hub");
        Assert.False(c.Peer(a)!.Connected);
    }

    [Fact]
    public async Task CutOffPastDeath_ThenReconnected_EveryoneSeesItsCurrentStateWithoutAntiEntropy()
    {
        await using var mesh = new TestMesh();
        var a = await mesh.StartAsync("A");
        var b = await mesh.StartAsync("B", [a]);
        var c = await mesh.StartAsync("C", [a]);
        var x = await mesh.StartAsync("X", [a]);
        x.Node.UpdateSelf(s => s with { Serving = "hermes", ModelState = "ready" });
        await TestMesh.WaitAllAsync(mesh.Nodes, (n, s) => s.Peers.Length == 3 && s.Peers.All(p => p.Health == PeerHealth.Alive), "full mesh");
        await TestMesh.WaitAllAsync([a, b, c], (n, s) => s.Find(x.Id)?.Announcement.Serving == "hermes", "X serving hermes");

        x.Link.Cut();
        await TestMesh.WaitAllAsync([a, b, c], (n, s) => s.Find(x.Id) is null, "X declared dead");
        await x.WaitAsync(s => s.Peers.IsEmpty, "X to declare everyone dead");

        x.Link.Restore();
        // GossipInterval is 10 minutes: only the rejoin and the regossip it triggers can heal this.
        await TestMesh.WaitAllAsync([a, b, c], (n, s) => s.Find(x.Id) is { Health: PeerHealth.Alive, Announcement.Serving: "hermes" }, "X back, still serving hermes");
        await x.WaitAsync(s => s.Peers.Length == 3, "X to see everyone again");
    }

    [Fact]
    public async Task StateChangedWhileCutOff_ArrivesEverywhereAfterReconnect()
    {
        await using var mesh = new TestMesh();
        var a = await mesh.StartAsync("A");
        var b = await mesh.StartAsync("B", [a]);
        var x = await mesh.StartAsync("X", [a]);
        x.Node.UpdateSelf(s => s with { Serving = "m1", ModelState = "ready" });
        await TestMesh.WaitAllAsync([a, b], (n, s) => s.Find(x.Id)?.Announcement.Serving == "m1", "X serving m1");

        x.Link.Cut();
        await TestMesh.WaitAllAsync([a, b], (n, s) => s.Find(x.Id) is null, "X declared dead");
        x.Node.UpdateSelf(s => s with { Serving = "m2", ModelState = "loading" });
        x.Link.Restore();
        await TestMesh.WaitAllAsync([a, b], (n, s) => s.Find(x.Id)?.Announcement is { Serving: "m2", ModelState: "loading" }, "X's new state");
    }

    [Fact]
    public async Task Crash_IsNoticedByConnectionCloseAndConfirmedDead()
    {
        await using var mesh = new TestMesh();
        var a = await mesh.StartAsync("A", configure: o => o.PingInterval = TimeSpan.FromMinutes(5));
        var b = await mesh.StartAsync("B", [a], configure: o => o.PingInterval = TimeSpan.FromMinutes(5));
        var c = await mesh.StartAsync("C", [a], configure: o => o.PingInterval = TimeSpan.FromMinutes(5));
        await TestMesh.WaitAllAsync(mesh.Nodes, (n, s) => s.Peers.Length == 2, "full mesh");

        await c.DisposeAsync();
        // Pings are 5 minutes apart: only the closed connection and the failed confirming dial can explain this.
        await TestMesh.WaitAllAsync([a, b], (n, s) => s.Find(c.Id) is null, "C gone");
    }

    [Fact]
    public async Task Leave_RemovesTheLeaverEverywhereAtOnce()
    {
        await using var mesh = new TestMesh();
        var a = await mesh.StartAsync("A");
        var b = await mesh.StartAsync("B", [a]);
        var c = await mesh.StartAsync("C", [a]);
        await TestMesh.WaitAllAsync(mesh.Nodes, (n, s) => s.Peers.Length == 2, "full mesh");

        await c.Node.LeaveAsync();
        await TestMesh.WaitAllAsync([a, b], (n, s) => s.Find(c.Id) is null, "C gone after leaving");
    }

    [Fact]
    public async Task TwentyNodes_Converge()
    {
        await using var mesh = new TestMesh();
        // Twenty nodes share two cores here: ping at a pace they can all keep.
        static void Relaxed(MembershipOptions o) => (o.PingInterval, o.PingTimeout) = (TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(3));
        var first = await mesh.StartAsync("n0", configure: Relaxed);
        for (var i = 1; i < 20; i++)
        {
            await mesh.StartAsync("n" + i, [mesh.Nodes[Random.Shared.Next(mesh.Nodes.Count)]], Relaxed);
        }

        await TestMesh.WaitAllAsync(mesh.Nodes, (n, s) => s.Peers.Length == 19 && s.Peers.All(p => p.Health == PeerHealth.Alive), "19 live peers", TimeSpan.FromSeconds(60));
        first.Node.UpdateSelf(s => s with { Serving = "big", ModelState = "ready" });
        await TestMesh.WaitAllAsync(mesh.Nodes.Skip(1), (n, s) => s.Find(first.Id)?.Announcement.Serving == "big", "n0 serving big");
    }

    [Fact]
    public async Task PassiveClient_GetsTheRoutingTable_AndIsNotAPeer()
    {
        await using var mesh = new TestMesh();
        var a = await mesh.StartAsync("A");
        var b = await mesh.StartAsync("B", [a]);
        b.Node.UpdateSelf(s => s with { Serving = "m1", ModelState = "ready", Role = "host" });
        await a.WaitAsync(s => s.Find(b.Id)?.Announcement.Serving == "m1", "B serving m1");

        var client = await mesh.StartAsync("client", [a], configure: o => o.Client = true, reachable: false);
        Assert.Equal(JoinResult.Joined, client.JoinResult);
        await client.WaitAsync(s => s.Find(b.Id)?.Announcement.Serving == "m1" && s.Find(a.Id) is not null, "routing table with A and B");
        await a.WaitAsync(s => s.Clients == 1, "one client on A");
        Assert.Null(a.Snapshot.Find(client.Id));
        Assert.Null(b.Snapshot.Find(client.Id));
        Assert.Equal(mesh.Credentials.Mesh.Value, client.Snapshot.Mesh);

        b.Node.UpdateSelf(s => s with { Serving = "m2" });
        await client.WaitAsync(s => s.Find(b.Id)?.Announcement.Serving == "m2", "refreshed routing table");
        Assert.Null(a.Snapshot.Find(client.Id));
    }
}
