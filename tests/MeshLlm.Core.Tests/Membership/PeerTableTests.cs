using MeshLlm.Identity;
using MeshLlm.Membership;
using MeshLlm.Membership.Messages;
using Microsoft.Extensions.Time.Testing;

namespace MeshLlm.Membership;

public sealed class PeerTableTests
{
    private static readonly NodeId s_self = Id('0');
    private static readonly NodeId s_a = Id('a');
    private static readonly NodeId s_b = Id('b');
    private static readonly NodeId s_relay = Id('c');

    private readonly FakeTimeProvider _time = new();
    private readonly PeerTable _table;

    public PeerTableTests() => _table = new PeerTable(s_self, _time, TimeSpan.FromMinutes(5));

    private static NodeId Id(char c)
    {
        Assert.True(NodeId.TryParse(new string(c, 64), out var id));
        return id;
    }

    private static PeerAnnouncement Entry(NodeId id, long seq, string? serving = null) => new() { Id = id.Hex, Seq = seq, Serving = serving };

    [Fact]
    public void Merge_NewPeer_Added()
    {
        Assert.Equal(MergeOutcome.Added, _table.Merge(Entry(s_a, 5), s_relay));
        Assert.True(_table.TryGet(s_a, out var record));
        Assert.Equal(5, record.Announcement.Seq);
    }

    [Fact]
    public void Merge_NewerSeq_Replaces_OlderAndEqualAreIgnored()
    {
        _table.Merge(Entry(s_a, 5, "m1"), s_relay);

        Assert.Equal(MergeOutcome.Updated, _table.Merge(Entry(s_a, 6, "m2"), s_relay));
        Assert.Equal(MergeOutcome.Stale, _table.Merge(Entry(s_a, 4, "old"), s_relay));
        Assert.Equal(MergeOutcome.Stale, _table.Merge(Entry(s_a, 6, "same-seq-other-state"), s_relay));
        Assert.True(_table.TryGet(s_a, out var record));
        Assert.Equal("m2", record.Announcement.Serving);
    }

    [Fact]
    public void Merge_StraightFromTheNode_WinsEvenWithASmallerSeq()
    {
        // A restarted node whose clock went back: its own word, over an authenticated connection, counts.
        _table.Merge(Entry(s_a, 100, "old-run") with { StartedMs = 2_000 }, s_relay);

        Assert.Equal(MergeOutcome.Updated, _table.Merge(Entry(s_a, 3, "new-run") with { StartedMs = 1_000 }, s_a));
        Assert.True(_table.TryGet(s_a, out var record));
        Assert.Equal("new-run", record.Announcement.Serving);
    }

    [Fact]
    public void Merge_AboutSelf_Ignored()
    {
        Assert.Equal(MergeOutcome.Self, _table.Merge(Entry(s_self, 99), s_relay));
        Assert.Empty(_table.Peers);
    }

    [Fact]
    public void Merge_ClientOrMalformedEntries_NeverStored()
    {
        Assert.Equal(MergeOutcome.Invalid, _table.Merge(new PeerAnnouncement { Id = s_a.Hex, Seq = 1, Role = PeerRoles.Client }, s_a));
        Assert.Equal(MergeOutcome.Invalid, _table.Merge(new PeerAnnouncement { Id = "not-a-node-id", Seq = 1 }, s_relay));
        Assert.Equal(MergeOutcome.Invalid, _table.Merge(new PeerAnnouncement { Id = s_a.Hex.ToUpperInvariant(), Seq = 1 }, s_relay));
        Assert.Empty(_table.Peers);
    }

    [Fact]
    public void DeadSet_StaleGossipCannotResurrect_NewerOrDirectCan()
    {
        _table.Merge(Entry(s_a, 10), s_relay);
        Assert.True(_table.MarkDead(s_a));

        Assert.Equal(MergeOutcome.Dead, _table.Merge(Entry(s_a, 10), s_relay));
        Assert.Equal(MergeOutcome.Dead, _table.Merge(Entry(s_a, 9), s_relay));
        Assert.False(_table.TryGet(s_a, out _));

        Assert.Equal(MergeOutcome.Added, _table.Merge(Entry(s_a, 11), s_relay));
        Assert.False(_table.IsDead(s_a));

        _table.MarkDead(s_a);
        Assert.Equal(MergeOutcome.Added, _table.Merge(Entry(s_a, 1), s_a));
        Assert.False(_table.IsDead(s_a));
    }

    [Fact]
    public void DirectPushesThatCross_TheOlderOneArrivingLast_DoesNotUndoTheNewer()
    {
        _table.Merge(Entry(s_a, 11, serving: "lending") with { StartedMs = 5 }, s_a);

        Assert.Equal(MergeOutcome.Stale, _table.Merge(Entry(s_a, 10, serving: "waiting") with { StartedMs = 5 }, s_a));
        Assert.True(_table.TryGet(s_a, out var record));
        Assert.Equal("lending", record.Announcement.Serving);

        // A new run of the node (other start time) is believed even with a lower seq: it speaks for itself.
        Assert.Equal(MergeOutcome.Updated, _table.Merge(Entry(s_a, 3) with { StartedMs = 6 }, s_a));
    }

    [Fact]
    public void DeadSet_ExpiresAfterTtl()
    {
        _table.Merge(Entry(s_a, 10), s_relay);
        _table.MarkDead(s_a);

        _time.Advance(TimeSpan.FromMinutes(4));
        Assert.Equal(0, _table.ExpireDead());
        Assert.True(_table.IsDead(s_a));

        _time.Advance(TimeSpan.FromMinutes(2));
        Assert.Equal(1, _table.ExpireDead());
        Assert.Equal(MergeOutcome.Added, _table.Merge(Entry(s_a, 10), s_relay));
    }

    [Fact]
    public void MarkDead_UnknownPeer_False_AndLeaveIsRemembered()
    {
        Assert.False(_table.MarkDead(s_b));
        _table.Merge(Entry(s_b, 1), s_b);
        Assert.True(_table.MarkDead(s_b, left: true));
        Assert.True(Assert.Single(_table.DeadPeers).Left);
        Assert.True(_table.Revive(s_b));
        Assert.False(_table.Revive(s_b));
    }

    [Fact]
    public void Merge_RandomOrderOfAnnouncements_EndsWithTheHighestSeq()
    {
        var random = new Random(7);
        for (var round = 0; round < 500; round++)
        {
            var table = new PeerTable(s_self, _time, TimeSpan.FromMinutes(5));
            var seqs = Enumerable.Range(1, 20).Select(i => (long)i).OrderBy(_ => random.Next()).ToList();
            foreach (var seq in seqs)
            {
                table.Merge(Entry(s_a, seq, "s" + seq), s_relay);
            }

            Assert.True(table.TryGet(s_a, out var record));
            Assert.Equal(20, record.Announcement.Seq);
            Assert.Equal("s20", record.Announcement.Serving);
        }
    }
}
