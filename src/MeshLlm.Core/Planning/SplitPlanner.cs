using System.Collections.Immutable;
using System.Globalization;
using MeshLlm.Identity;

namespace MeshLlm.Planning;

/// <summary>A node of a model's group, as the split planner sees it.</summary>
/// <remarks>
/// <c>RpcCapable</c>: runs the llama.cpp backend and can lend an rpc-server (embedded-engine nodes cannot);
/// <c>Busy</c>: runs a model server of its own (alone, or another model), so its memory is taken and it is never
/// a partner; <c>RttMs</c>: ping round trip from this node, null when not measured yet; <c>HostingSplit</c>: already
/// hosts a split of this model (it keeps the job, so a newcomer never forces a restart).
/// </remarks>
public sealed record SplitCandidate(NodeId Id, long VramBytes, bool RpcCapable, double? RttMs = null, bool Busy = false, bool HostingSplit = false);

/// <summary>What this node does for a model.</summary>
public enum SplitRole
{
    /// <summary>The model fits here: run it alone (other nodes of the group run their own replicas).</summary>
    Solo,

    /// <summary>Host a split: run llama-server with the partners' rpc-servers.</summary>
    Host,

    /// <summary>Lend this node's rpc-server to <see cref="SplitPlan.Host"/>.</summary>
    Partner,

    /// <summary>Host, but the group lacks <see cref="SplitPlan.ShortfallBytes"/> of memory.</summary>
    Waiting,

    /// <summary>Cannot take part (embedded engine, or hosting another model) and the model does not fit here.</summary>
    Unable,
}

/// <summary>One partner in a split: its share of the layers follows its memory.</summary>
public sealed record SplitPartner(NodeId Id, long VramBytes, double? RttMs, double Share);

/// <summary>The planner's decision for one model on one node, with its reason for logs and status.</summary>
public sealed record SplitPlan(SplitRole Role, NodeId? Host, ImmutableArray<SplitPartner> Partners, double HostShare, long ShortfallBytes, string Reason)
{
    /// <summary>llama-server's <c>--tensor-split</c>: partners in <c>--rpc</c> order, then the host; 2 decimals each.</summary>
    public string TensorSplit => Partners.IsEmpty ? "" :
        string.Join(",", Partners.Select(p => p.Share).Append(HostShare).Select(s => s.ToString("0.00", CultureInfo.InvariantCulture)));

    /// <summary>The partner ids, in order: a host restarts llama-server only when this changes.</summary>
    public ImmutableArray<NodeId> PartnerIds => [.. Partners.Select(p => p.Id)];
}

/// <summary>
/// Solo or split for one model (DESIGN.md §9); pure, so every rule is tested alone. Fit rule: usable memory ≥
/// size × 1.1. Host election among the RPC-capable group members that are not busy: a node already hosting the
/// split keeps it, else the most memory, ties by the larger node id. Partners: the other eligible members with a
/// ping round trip of at most <see cref="MaxRttMs"/> (unknown last), nearest first, added until host plus
/// partners reach the fit rule (<c>--split</c> forces at least one). Peers excluded by RTT are not counted as
/// capacity. A running split keeps its partners while they all remain eligible (round trip up to
/// <see cref="KeepRttMs"/>) and enough: llama-server restarts only when a partner goes, never because a nearer or
/// bigger node arrived.
/// </summary>
public static class SplitPlanner
{
    public const double MaxRttMs = 80;

    /// <summary>
    /// A partner of the running split is kept up to this round trip (hysteresis): one slow ping on a busy machine
    /// must not restart llama-server. New partners need <see cref="MaxRttMs"/>.
    /// </summary>
    public const double KeepRttMs = MaxRttMs * 1.5;

    public static long Need(long modelBytes) => (long)Math.Floor(modelBytes * 1.1);

    /// <summary>Plans <paramref name="self"/>'s part for a model of <paramref name="modelBytes"/>; <paramref name="current"/>: the partners of the split it runs now, kept while they still qualify.</summary>
    public static SplitPlan Plan(long modelBytes, SplitCandidate self, IReadOnlyList<SplitCandidate> group, bool forceSplit, IReadOnlyList<NodeId>? current = null)
    {
        var need = Need(modelBytes);
        if (self.VramBytes >= need && !forceSplit && !self.Busy)
        {
            return new SplitPlan(SplitRole.Solo, self.Id, [], 1, 0, $"fits here ({Gb(self.VramBytes)} usable ≥ {Gb(need)} needed)");
        }

        var eligible = group.Append(self).Where(c => c.RpcCapable && !c.Busy).DistinctBy(c => c.Id).ToList();
        if (!eligible.Any(c => c.Id == self.Id))
        {
            return new SplitPlan(SplitRole.Unable, null, [], 0, need - self.VramBytes,
                self.Busy ? "this node runs another model server" : "only the llama.cpp backend with an rpc-server can split a model; this node cannot");
        }

        var hosting = eligible.Where(c => c.HostingSplit).ToList();
        var host = (hosting.Count > 0 ? hosting : eligible).OrderByDescending(c => c.VramBytes).ThenByDescending(c => c.Id).First();
        if (host.Id != self.Id)
        {
            return new SplitPlan(SplitRole.Partner, host.Id, [], 0, 0, host.HostingSplit
                ? $"{host.Id.ToShortString()} hosts the split"
                : $"{host.Id.ToShortString()} has the most memory ({Gb(host.VramBytes)}) and hosts");
        }

        return PlanAsHost(need, self, eligible.Where(c => c.Id != self.Id), forceSplit, current ?? []);
    }

    private static SplitPlan PlanAsHost(long need, SplitCandidate self, IEnumerable<SplitCandidate> others, bool forceSplit, IReadOnlyList<NodeId> current)
    {
        var candidates = others.ToList();
        var reachable = candidates
            .Where(c => c.RttMs is null or <= MaxRttMs)
            .OrderBy(c => c.RttMs ?? double.MaxValue)
            .ThenBy(c => c.Id)
            .ToList();
        var kept = current.Select(id => candidates.FirstOrDefault(c => c.Id == id && c.RttMs is null or <= KeepRttMs)).ToList();
        if (kept.Count > 0 && kept.All(c => c is not null) && self.VramBytes + kept.Sum(c => c!.VramBytes) >= need)
        {
            // The running split still works: keep it (and llama-server) as it is.
            return Host(need, self, [.. kept.Select(c => c!)]);
        }

        var chosen = new List<SplitCandidate>();
        var total = self.VramBytes;
        foreach (var candidate in reachable)
        {
            if (total >= need && !(forceSplit && chosen.Count == 0))
            {
                break;
            }

            chosen.Add(candidate);
            total += candidate.VramBytes;
        }

        if (total < need)
        {
            return new SplitPlan(SplitRole.Waiting, self.Id, [], 0, need - total,
                $"waiting for {Gb(need - total)} more: {Gb(total)} usable on {chosen.Count + 1} node(s) within {MaxRttMs} ms, {Gb(need)} needed");
        }

        if (chosen.Count == 0)
        {
            return new SplitPlan(SplitRole.Solo, self.Id, [], 1, 0, "fits here and no split was forced");
        }

        return Host(need, self, chosen);
    }

    private static SplitPlan Host(long need, SplitCandidate self, IReadOnlyList<SplitCandidate> chosen)
    {
        var total = self.VramBytes + chosen.Sum(c => c.VramBytes);
        var partners = chosen.Select(c => new SplitPartner(c.Id, c.VramBytes, c.RttMs, (double)c.VramBytes / total)).ToImmutableArray();
        var list = string.Join(", ", partners.Select(p => $"{p.Id.ToShortString()} ({Gb(p.VramBytes)}, {(p.RttMs is { } r ? $"{r:0.#} ms" : "RTT unknown")})"));
        return new SplitPlan(SplitRole.Host, self.Id, partners, (double)self.VramBytes / total, 0,
            $"split over {partners.Length + 1} nodes, {Gb(total)} usable for {Gb(need)} needed: {list}");
    }

    private static string Gb(long bytes) => NodeCapacity.Describe(bytes);
}
