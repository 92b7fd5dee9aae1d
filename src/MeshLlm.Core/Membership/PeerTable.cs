using MeshLlm.Identity;
using MeshLlm.Membership.Messages;

namespace MeshLlm.Membership;

/// <summary>What merging one announcement did.</summary>
public enum MergeOutcome
{
    Added,
    Updated,

    /// <summary>Not newer than what we hold (or identical).</summary>
    Stale,

    /// <summary>About a node in the dead set and not newer than its death.</summary>
    Dead,

    /// <summary>About this node; ignored.</summary>
    Self,

    /// <summary>Malformed id or a client's entry: never stored.</summary>
    Invalid,
}

/// <summary>Liveness of a peer as this node sees it.</summary>
public enum PeerHealth
{
    Alive,
    Suspected,
}

/// <summary>
/// The versioned peer table and dead set, with the merge rules and nothing else (no I/O, no locking: the owner
/// locks). Rules: entries about this node are ignored; an entry straight from the node it describes always
/// wins (the connection authenticated it); otherwise only a larger sequence number replaces; a node in the dead
/// set comes back only with a sequence number above the one it died with; client entries are never stored.
/// </summary>
public sealed class PeerTable(NodeId self, TimeProvider time, TimeSpan deadTtl)
{
    private readonly Dictionary<NodeId, PeerRecord> _peers = [];
    private readonly Dictionary<NodeId, DeadRecord> _dead = [];

    public IReadOnlyCollection<PeerRecord> Peers => _peers.Values;

    public IReadOnlyCollection<DeadRecord> DeadPeers => _dead.Values;

    public bool TryGet(NodeId id, out PeerRecord record) => _peers.TryGetValue(id, out record!);

    public bool IsDead(NodeId id) => _dead.ContainsKey(id);

    /// <summary>Merges <paramref name="entry"/>; <paramref name="from"/> is the authenticated node that sent it.</summary>
    public MergeOutcome Merge(PeerAnnouncement entry, NodeId from)
    {
        if (!NodeId.TryParse(entry.Id, out var id) || entry.Role == PeerRoles.Client)
        {
            return MergeOutcome.Invalid;
        }

        if (id == self)
        {
            return MergeOutcome.Self;
        }

        var direct = id == from;
        if (!direct && _dead.TryGetValue(id, out var dead) && entry.Seq <= dead.Seq)
        {
            return MergeOutcome.Dead;
        }

        if (_peers.TryGetValue(id, out var existing))
        {
            // From the node itself, an older seq still counts when it comes from another run (its clock went back);
            // from the same run it is an earlier push overtaken by a later one, and must not undo it.
            var older = entry.Seq <= existing.Announcement.Seq && (!direct || entry.StartedMs == existing.Announcement.StartedMs);
            if (older || entry == existing.Announcement)
            {
                return MergeOutcome.Stale;
            }

            existing.Announcement = entry;
            return MergeOutcome.Updated;
        }

        _dead.Remove(id);
        _peers[id] = new PeerRecord(id, entry, time.GetTimestamp());
        return MergeOutcome.Added;
    }

    /// <summary>Removes a peer into the dead set (so stale gossip cannot bring it back); false if it was not held.</summary>
    public bool MarkDead(NodeId id, bool left = false)
    {
        if (!_peers.Remove(id, out var record))
        {
            return false;
        }

        _dead[id] = new DeadRecord(id, record.Announcement.Seq, record.Announcement.Addresses, time.GetTimestamp(), left);
        return true;
    }

    /// <summary>Forgets a death: the node connected to us, so it is alive whatever gossip said.</summary>
    public bool Revive(NodeId id) => _dead.Remove(id);

    /// <summary>Drops dead-set entries older than the TTL; returns how many.</summary>
    public int ExpireDead()
    {
        var expired = _dead.Values.Where(d => time.GetElapsedTime(d.DiedAt) > deadTtl).Select(d => d.Id).ToList();
        expired.ForEach(id => _dead.Remove(id));
        return expired.Count;
    }
}

/// <summary>A live peer: its latest announcement and what our pings measured.</summary>
public sealed class PeerRecord(NodeId id, PeerAnnouncement announcement, long firstSeen)
{
    public NodeId Id { get; } = id;

    public PeerAnnouncement Announcement { get; set; } = announcement;

    public PeerHealth Health { get; set; }

    public double? RttMs { get; set; }

    public int MissedPings { get; set; }

    /// <summary>Timestamp of the last answered ping (or of first sight).</summary>
    public long LastHeard { get; set; } = firstSeen;
}

/// <summary>A peer declared dead (or that left): the sequence number it died with and where it used to be.</summary>
public sealed record DeadRecord(NodeId Id, long Seq, IReadOnlyList<string> Addresses, long DiedAt, bool Left);
