using System.Collections.Concurrent;
using System.Collections.Immutable;
using MeshLlm.Membership;
using MeshLlm.Membership.Messages;

namespace MeshLlm.Planning;

/// <summary>
/// Demand per model (DESIGN.md §9): every request this node routes is counted here; each node announces only its
/// own counters, which only grow, so the mesh's demand for a model is the sum over the live nodes'
/// announcements (a grow-only counter: gossip order cannot lose or double a request) and its last-active time
/// the latest. Entries idle for <see cref="Expiry"/> drop out unless a live node serves or wants the model.
/// Per-minute rates are derived locally from how the mesh total grew over the last minute.
/// </summary>
public sealed class DemandTracker(TimeProvider time)
{
    /// <summary>Demand older than this is forgotten unless a live node pins the model.</summary>
    public static readonly TimeSpan Expiry = TimeSpan.FromHours(24);

    private static readonly TimeSpan s_rateWindow = TimeSpan.FromMinutes(1);

    private readonly ConcurrentDictionary<string, ModelDemand> _own = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();
    private readonly Dictionary<string, Queue<(long At, long Total)>> _history = new(StringComparer.Ordinal);
    private readonly Dictionary<string, long> _reported = new(StringComparer.Ordinal);
    private int _dirty;

    /// <summary>Counts one routed request for <paramref name="model"/>.</summary>
    public void Record(string model)
    {
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        _own.AddOrUpdate(model, _ => new ModelDemand(1, now), (_, d) => new ModelDemand(d.Count + 1, now));
        Volatile.Write(ref _dirty, 1);
    }

    /// <summary>Adds requests a passive client routed (it reports them to this node, which announces them).</summary>
    public void Absorb(IReadOnlyDictionary<string, ModelDemand> reported)
    {
        foreach (var (model, demand) in reported.Take(1000))
        {
            if (demand.Count > 0 && model.Length <= 256)
            {
                _own.AddOrUpdate(model, demand, (_, d) => new ModelDemand(d.Count + demand.Count, Math.Max(d.LastActiveMs, demand.LastActiveMs)));
                Volatile.Write(ref _dirty, 1);
            }
        }
    }

    /// <summary>Passive clients: what was counted since the last call (to report to a member), or null.</summary>
    public IReadOnlyDictionary<string, ModelDemand>? TakeDeltas()
    {
        var deltas = new Dictionary<string, ModelDemand>(StringComparer.Ordinal);
        lock (_lock)
        {
            foreach (var (model, demand) in _own)
            {
                var reported = _reported.GetValueOrDefault(model);
                if (demand.Count > reported)
                {
                    deltas[model] = new ModelDemand(demand.Count - reported, demand.LastActiveMs);
                    _reported[model] = demand.Count;
                }
            }
        }

        return deltas.Count == 0 ? null : deltas;
    }

    /// <summary>This node's counters, for its announcement; null when nothing changed since the last call.</summary>
    public IReadOnlyDictionary<string, ModelDemand>? TakeChanges() =>
        Interlocked.Exchange(ref _dirty, 0) == 0 ? null : _own.ToImmutableSortedDictionary(StringComparer.Ordinal);

    /// <summary>The mesh's demand: per model, the sum of every live node's count and the latest activity.</summary>
    public ImmutableSortedDictionary<string, ModelDemand> MeshDemand(MembershipSnapshot snapshot)
    {
        var nodes = snapshot.Peers.Where(p => p.Health == PeerHealth.Alive).Select(p => p.Announcement).Prepend(snapshot.Self).ToList();
        var pinned = nodes.SelectMany(n => n.Wanted.Append(n.Serving)).OfType<string>().ToHashSet(StringComparer.Ordinal);
        var cutoff = time.GetUtcNow().ToUnixTimeMilliseconds() - (long)Expiry.TotalMilliseconds;
        return nodes
            .SelectMany(n => n.Demand)
            .GroupBy(d => d.Key, StringComparer.Ordinal)
            .Select(g => (g.Key, Demand: new ModelDemand(g.Sum(d => d.Value.Count), g.Max(d => d.Value.LastActiveMs))))
            .Where(d => d.Demand.LastActiveMs >= cutoff || pinned.Contains(d.Key))
            .ToImmutableSortedDictionary(d => d.Key, d => d.Demand, StringComparer.Ordinal);
    }

    /// <summary>
    /// Requests per minute for each model: how much the mesh total grew since the last observation at or before the
    /// start of the last minute, divided by the minutes elapsed (at least one). Call it regularly (the status page
    /// and the planner do) to keep history.
    /// </summary>
    public ImmutableSortedDictionary<string, double> RatesPerMinute(IReadOnlyDictionary<string, ModelDemand> meshDemand)
    {
        var now = time.GetTimestamp();
        var rates = ImmutableSortedDictionary.CreateBuilder<string, double>(StringComparer.Ordinal);
        lock (_lock)
        {
            foreach (var (model, demand) in meshDemand)
            {
                if (!_history.TryGetValue(model, out var samples))
                {
                    _history[model] = samples = new Queue<(long, long)>();
                }

                samples.Enqueue((now, demand.Count));
                // Keep one baseline at or just before the window's start; drop anything older.
                while (samples.Count > 2 && time.GetElapsedTime(samples.ElementAt(1).At, now) > s_rateWindow)
                {
                    samples.Dequeue();
                }

                var (baseAt, baseTotal) = samples.Peek();
                var minutes = time.GetElapsedTime(baseAt, now).TotalMinutes;
                rates[model] = minutes <= 0 ? 0 : Math.Round((demand.Count - baseTotal) / Math.Max(minutes, 1), 2);
            }
        }

        return rates.ToImmutable();
    }
}
