using MeshLlm.Identity;
using MeshLlm.Membership;
using MeshLlm.Membership.Messages;
using Microsoft.Extensions.Time.Testing;

namespace MeshLlm.Planning;

public sealed class DemandTrackerTests
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 28, 12, 0, 0, TimeSpan.Zero));

    private static NodeId Id(char c)
    {
        Assert.True(NodeId.TryParse(new string(c, 64), out var id));
        return id;
    }

    private long Ms(TimeSpan ago) => (_time.GetUtcNow() - ago).ToUnixTimeMilliseconds();

    private static PeerAnnouncement Node(char id, params (string Model, long Count, long LastMs)[] demand) => new()
    {
        Id = Id(id).Hex,
        Demand = demand.ToDictionary(d => d.Model, d => new ModelDemand(d.Count, d.LastMs)),
    };

    private static MembershipSnapshot Snapshot(PeerAnnouncement self, params PeerAnnouncement[] peers) =>
        new(1, self, "m", [.. peers.Select(p => new PeerSnapshot(NodeId.TryParse(p.Id, out var id) ? id : default, p, PeerHealth.Alive, null, true))], 0);

    [Fact]
    public void Record_CountsAndTakeChangesReportsOnlyAfterChanges()
    {
        var tracker = new DemandTracker(_time);
        Assert.Null(tracker.TakeChanges());

        tracker.Record("m1");
        tracker.Record("m1");
        tracker.Record("m2");
        var counters = tracker.TakeChanges();

        Assert.NotNull(counters);
        Assert.Equal(2, counters["m1"].Count);
        Assert.Equal(1, counters["m2"].Count);
        Assert.Equal(_time.GetUtcNow().ToUnixTimeMilliseconds(), counters["m1"].LastActiveMs);
        Assert.Null(tracker.TakeChanges());
    }

    [Fact]
    public void MeshDemand_SumsEveryNodesOwnCounter_AndTakesTheLatestActivity()
    {
        var tracker = new DemandTracker(_time);
        var snapshot = Snapshot(
            Node('a', ("m1", 3, Ms(TimeSpan.FromMinutes(5)))),
            Node('b', ("m1", 4, Ms(TimeSpan.FromMinutes(1))), ("m2", 1, Ms(TimeSpan.FromHours(1)))),
            Node('c', ("m1", 5, Ms(TimeSpan.FromMinutes(9)))));

        var demand = tracker.MeshDemand(snapshot);

        Assert.Equal(12, demand["m1"].Count);
        Assert.Equal(Ms(TimeSpan.FromMinutes(1)), demand["m1"].LastActiveMs);
        Assert.Equal(1, demand["m2"].Count);
    }

    [Fact]
    public void MeshDemand_ForgetsModelsIdleFor24Hours_UnlessALiveNodeServesOrWantsThem()
    {
        var tracker = new DemandTracker(_time);
        var old = Ms(TimeSpan.FromHours(25));
        var snapshot = Snapshot(
            Node('a', ("stale", 9, old), ("served", 9, old), ("wanted", 9, old), ("fresh", 1, Ms(TimeSpan.FromHours(23)))),
            Node('b') with { Serving = "served", Wanted = ["wanted"] });

        var demand = tracker.MeshDemand(snapshot);

        Assert.Equal(["fresh", "served", "wanted"], demand.Keys);
    }

    [Fact]
    public void RatesPerMinute_FollowTheGrowthOverTheLastMinute()
    {
        var tracker = new DemandTracker(_time);
        Dictionary<string, ModelDemand> Total(long n) => new() { ["m1"] = new ModelDemand(n, 0) };

        Assert.Equal(0, tracker.RatesPerMinute(Total(0))["m1"]);
        _time.Advance(TimeSpan.FromSeconds(30));
        Assert.Equal(15, tracker.RatesPerMinute(Total(15))["m1"]); // less than a minute of history counts as a minute
        _time.Advance(TimeSpan.FromSeconds(30));
        Assert.Equal(30, tracker.RatesPerMinute(Total(30))["m1"]);
        _time.Advance(TimeSpan.FromSeconds(30));
        Assert.Equal(30, tracker.RatesPerMinute(Total(45))["m1"]);
        _time.Advance(TimeSpan.FromSeconds(61));
        Assert.Equal(0, tracker.RatesPerMinute(Total(45))["m1"]);
        _time.Advance(TimeSpan.FromSeconds(120));
        Assert.Equal(5, tracker.RatesPerMinute(Total(55))["m1"]); // 10 more over the 2 minutes since the last look
    }

    [Fact]
    public void ClientDeltas_AreReportedOnce_AndAbsorbedByTheMember()
    {
        var client = new DemandTracker(_time);
        var member = new DemandTracker(_time);
        member.Record("m1");
        Assert.Null(client.TakeDeltas());

        client.Record("m1");
        client.Record("m1");
        member.Absorb(client.TakeDeltas()!);
        Assert.Null(client.TakeDeltas());
        client.Record("m1");
        member.Absorb(client.TakeDeltas()!);

        Assert.Equal(4, member.TakeChanges()!["m1"].Count);
    }
}
