using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using MeshLlm.Identity;
using MeshLlm.Membership;
using MeshLlm.Transport;

namespace MeshLlm.Bench;

/// <summary>
/// In-process <see cref="MeshNode"/>s on loopback with real TLS: how long until everyone lists everyone after a
/// mass join (all through node 0's token, or a chain where node i joins node i-1), how long a state change of
/// node 0 takes to reach every node, and how many bytes each node moves doing so.
/// </summary>
internal static class GossipScenario
{
    private static readonly int[] s_sizes = [5, 10, 20, 40];
    private static readonly TimeSpan s_mustHappen = TimeSpan.FromSeconds(60);
    private const int Updates = 5;
    private static int s_joinGapMs;

    private enum Topology
    {
        Star,
        Chain,
    }

    private sealed record Sample(
        double JoinMs,
        double ConnectedMs,
        double QuietMs,
        int JoinExchanges,
        int Connections,
        double JoinSentPerNode,
        double JoinSentNode0,
        double JoinLoPerNode,
        double JoinCpuSeconds,
        double UpdateMs,
        double UpdateQuietMs,
        double UpdateExchanges,
        double UpdateSentPerNode,
        double? IdleSentPerNodePerSecond,
        bool Stable,
        IReadOnlyDictionary<string, int> Events);

    public static async Task RunAsync(int rounds, int[]? sizes, int joinGapMs, CancellationToken ct)
    {
        sizes ??= s_sizes;
        s_joinGapMs = joinGapMs;
        var events = new EventCounter();
        var results = new Dictionary<(Topology, int), List<Sample?>>();
        // Warm-up (JIT, TLS, thread pool): one small mesh, not reported.
        _ = await RunOnceAsync(Topology.Star, 5, idleWindow: false, joinGapMs: 0, events, ct, quiet: true);
        foreach (var n in sizes)
        {
            foreach (var topology in new[] { Topology.Star, Topology.Chain })
            {
                var samples = results[(topology, n)] = [];
                for (var round = 0; round < rounds; round++)
                {
                    samples.Add(await RunOnceAsync(topology, n, idleWindow: round == 0 && topology == Topology.Star, joinGapMs, events, ct));
                    if (samples[^1] is null)
                    {
                        // A mesh that melts down once will again: do not spend minutes proving it.
                        break;
                    }
                }
            }
        }

        foreach (var topology in new[] { Topology.Star, Topology.Chain })
        {
            Report(topology, rounds, sizes.Select(n => (n, results[(topology, n)])).ToList());
        }
    }

    private static async Task<Sample?> RunOnceAsync(Topology topology, int n, bool idleWindow, int joinGapMs, EventCounter events, CancellationToken ct, bool quiet = false)
    {
        var credentials = new MeshCredentials(MeshId.NewRandom(), InviteToken.NewSecret());
        var ports = FreePorts(n);
        var keys = Enumerable.Range(0, n).Select(_ => NodeKey.Ephemeral()).ToArray();
        var counters = Enumerable.Range(0, n).Select(_ => new ByteCounter()).ToArray();
        var options = new MembershipOptions
        {
            // Pings at their default (5 s); no anti-entropy rounds while measuring: only pushes spread news.
            GossipInterval = TimeSpan.FromMinutes(10),
        };

        InviteToken TokenOf(int i) => new(keys[i].Id, [$"127.0.0.1:{ports[i]}"], credentials.Mesh, credentials.Secret);
        var nodes = new MeshNode[n];
        for (var i = 0; i < n; i++)
        {
            var transport = new TransportOptions
            {
                BindAddress = "127.0.0.1",
                BindPort = ports[i],
                AdvertiseInterfaces = false,
                WrapStream = counters[i].Wrap,
            };
            transport.Advertise.Add("127.0.0.1");
            IReadOnlyList<InviteToken> joins = i == 0 ? [] : [TokenOf(topology == Topology.Star ? 0 : i - 1)];
            nodes[i] = new MeshNode(keys[i], credentials, joins, options, transport, TimeProvider.System, events);
        }

        using var stopProbe = new CancellationTokenSource();
        var probe = PoolProbe.RunAsync(stopProbe.Token);
        try
        {
            events.Reset();
            events.Recording = true;
            await nodes[0].StartAsync(ct);
            if (nodes[0].Token.Addresses.SingleOrDefault() != TokenOf(0).Addresses[0])
            {
                throw new InvalidOperationException($"node 0 advertises {string.Join(", ", nodes[0].Token.Addresses)}, expected 127.0.0.1:{ports[0]}");
            }

            var ids = nodes.Select(x => x.Id).ToArray();
            using var joined = new Watch(nodes, (i, s) => s.Peers.Length == n - 1 && s.Peers.All(p => p.Health == PeerHealth.Alive));
            var lo0 = LoopbackBytes();
            var cpu0 = Process.GetCurrentProcess().TotalProcessorTime;
            var sent0 = counters.Select(c => c.Sent).ToArray();
            var start = Stopwatch.GetTimestamp();
            // Each StartAsync binds its listener before its first await, so node i-1 listens before node i dials.
            var starts = new List<Task<JoinResult>>();
            foreach (var node in nodes.Skip(1))
            {
                starts.Add(node.StartAsync(ct));
                if (joinGapMs > 0)
                {
                    await Task.Delay(joinGapMs, ct);
                }
            }

            var joinMs = await joined.WaitAsync(start, s_mustHappen, "every node lists all others", ct);
            var results = await Task.WhenAll(starts);
            if (results.Any(r => r != JoinResult.Joined))
            {
                throw new InvalidOperationException("join results: " + string.Join(", ", results));
            }

            // Joining goes on after everyone lists everyone (dials, pushes): the join's cost is counted until it is quiet
            // (a full mesh of connections, then 300 ms without a gossip frame).
            var (connectedMs, quietMs) = await QuietAsync(nodes, events, start, ct);
            var joinLo = LoopbackBytes() - lo0;
            var joinCpu = (Process.GetCurrentProcess().TotalProcessorTime - cpu0).TotalSeconds;
            var joinSent = counters.Select((c, i) => c.Sent - sent0[i]).ToArray();
            var joinExchanges = events.Counts.GetValueOrDefault("LogFrame") / 2;
            var connections = counters.Sum(c => c.Streams) / 2;

            // State change: node 0 serves a model; until every node's snapshot shows it, then until forwarding stops.
            var updateTimes = new List<double>();
            var updateQuiet = new List<double>();
            var sentBefore = counters.Sum(c => c.Sent);
            var framesBefore = events.Counts.GetValueOrDefault("LogFrame");
            var streamsBefore = counters.Sum(c => c.Streams);
            for (var k = 0; k < Updates; k++)
            {
                var model = $"m{k}";
                using var seen = new Watch(nodes, (i, s) => i == 0 || s.Find(ids[0]) is { Announcement: { Serving: var m, ModelState: "ready" } } && m == model);
                var t = Stopwatch.GetTimestamp();
                nodes[0].UpdateSelf(a => a with { Serving = model, ModelState = "ready" });
                updateTimes.Add(await seen.WaitAsync(t, s_mustHappen, $"every node sees node 0 serving {model}", ct));
                updateQuiet.Add((await QuietAsync(nodes, events, t, ct)).QuietMs);
            }

            var updateSent = (counters.Sum(c => c.Sent) - sentBefore) / (double)Updates;
            var updateExchanges = (events.Counts.GetValueOrDefault("LogFrame") - framesBefore) / 2.0 / Updates;
            var updateStreams = (counters.Sum(c => c.Streams) - streamsBefore) / 2.0 / Updates;
            var idleFrames = events.Counts.GetValueOrDefault("LogFrame");

            double? idle = null;
            if (idleWindow)
            {
                // Steady state: only pings (every 5 s to every peer) move bytes now.
                var before = counters.Sum(c => c.Sent);
                var t = Stopwatch.GetTimestamp();
                await Task.Delay(TimeSpan.FromSeconds(10), ct);
                idle = (counters.Sum(c => c.Sent) - before) / (double)n / Stopwatch.GetElapsedTime(t).TotalSeconds;
            }

            idleFrames = events.Counts.GetValueOrDefault("LogFrame") - idleFrames;

            // Still true at the end: nobody was suspected or lost meanwhile.
            var stable = joined.AllHold();
            if (!stable)
            {
                global::System.Console.WriteLine($"gossip {topology} n={n}: the mesh stopped being converged after it had: {joined.Describe()}");
                global::System.Console.WriteLine("  events: " + string.Join(", ", events.Counts.OrderBy(e => e.Key, StringComparer.Ordinal).Select(e => $"{e.Key} {e.Value}")));
                foreach (var sample in events.Samples)
                {
                    global::System.Console.WriteLine("  " + sample);
                }
            }

            events.Recording = false;
            await stopProbe.CancelAsync();
            var (lag, threads) = await probe;
            if (!quiet)
            {
                global::System.Console.WriteLine($"gossip {topology.ToString().ToLowerInvariant()} n={n}: join {joinMs:F0} ms (full mesh of connections {connectedMs:F0} ms, last gossip {quietMs:F0} ms, {joinExchanges} exchanges, {joinCpu:F1} CPU s), state change {Stats.Median(updateTimes):F1} ms (last gossip {Stats.Median(updateQuiet):F0} ms); " +
                $"per state change {updateExchanges:F0} gossip exchanges and {updateStreams:F1} new connections; {(idleWindow ? $"{idleFrames / 2} exchanges in the idle window; " : "")}thread pool: up to {threads} threads, queueing delay up to {lag:F0} ms; suspected {events.Counts.GetValueOrDefault("LogSuspected")}, dead {events.Counts.GetValueOrDefault("LogDead")}");
            }

            return new Sample(joinMs, connectedMs, quietMs, joinExchanges, connections, joinSent.Sum() / (double)n, joinSent[0], joinLo / (double)n, joinCpu,
                Stats.Median(updateTimes), Stats.Median(updateQuiet), updateExchanges, updateSent / n, idle, stable, new Dictionary<string, int>(events.Counts));
        }
        catch (TimeoutException e)
        {
            events.Recording = false;
            global::System.Console.WriteLine($"gossip {topology} n={n}: {e.Message}");
            global::System.Console.WriteLine("  events: " + string.Join(", ", events.Counts.OrderBy(e => e.Key, StringComparer.Ordinal).Select(e => $"{e.Key} {e.Value}")));
            foreach (var sample in events.Samples)
            {
                global::System.Console.WriteLine("  " + sample);
            }

            return null;
        }
        finally
        {
            events.Recording = false;
            await stopProbe.CancelAsync();
            await Task.WhenAll(nodes.Select(x => x.DisposeAsync().AsTask()));
            foreach (var key in keys)
            {
                key.Dispose();
            }

            await Task.Delay(500, ct);
        }
    }

    private static void Report(Topology topology, int rounds, List<(int N, List<Sample?> Samples)> all)
    {
        var failed = all.Where(r => r.Samples.Any(s => s is null)).Select(r => $"{r.N} nodes: {r.Samples.Count(s => s is null)} of {r.Samples.Count} runs").ToList();
        var rows = all.Where(r => r.Samples.Any(s => s is not null)).Select(r => (r.N, Samples: r.Samples.OfType<Sample>().ToList())).ToList();
        static string Range(List<Sample> s, Func<Sample, double> f, string format) =>
            string.Format(CultureInfo.InvariantCulture, $"{{0:{format}}} ({{1:{format}}}–{{2:{format}}})", Stats.Median(s.Select(f)), s.Min(f), s.Max(f));

        var how = (topology == Topology.Star ? "every node joins with node 0's token" : "node i joins with node i-1's token") +
            (s_joinGapMs > 0 ? $"; joins started {s_joinGapMs} ms apart" : "; all joins started at once");
        Stats.PrintTable(
            $"gossip, {topology.ToString().ToLowerInvariant()} ({how}): medians (min–max) of {rounds} runs, {Environment.ProcessorCount} cores",
            ["nodes", "all list all, ms", "full mesh connected, ms", "last join gossip, ms", "join: gossip exchanges", "join: CPU s (all nodes)", "join: TCP connections (pairs)",
                "join: KB sent per node (node 0)", "join: loopback KB per node", "state change → all see it, ms", "state change: last gossip, ms", "state change: exchanges", "state change: KB sent per node",
                "idle: B/s sent per node", "stayed converged"],
            rows.Select(r =>
            {
                var s = r.Samples;
                var idle = s.FirstOrDefault(x => x.IdleSentPerNodePerSecond is not null)?.IdleSentPerNodePerSecond;
                return (IReadOnlyList<string>)
                [
                    r.N.ToString(CultureInfo.InvariantCulture),
                    Range(s, x => x.JoinMs, "F0"),
                    Range(s, x => x.ConnectedMs, "F0"),
                    Range(s, x => x.QuietMs, "F0"),
                    $"{Stats.Median(s.Select(x => (double)x.JoinExchanges)):F0}",
                    $"{Stats.Median(s.Select(x => x.JoinCpuSeconds)):F1}",
                    $"{Stats.Median(s.Select(x => (double)x.Connections)):F0} ({r.N * (r.N - 1) / 2})",
                    $"{Stats.Median(s.Select(x => x.JoinSentPerNode)) / 1000:F1} ({Stats.Median(s.Select(x => x.JoinSentNode0)) / 1000:F1})",
                    $"{Stats.Median(s.Select(x => x.JoinLoPerNode)) / 1000:F1}",
                    Range(s, x => x.UpdateMs, "F1"),
                    $"{Stats.Median(s.Select(x => x.UpdateQuietMs)):F0}",
                    $"{Stats.Median(s.Select(x => x.UpdateExchanges)):F0} ({r.N - 1 + (r.N - 1) * (r.N - 2)})",
                    $"{Stats.Median(s.Select(x => x.UpdateSentPerNode)) / 1000:F1}",
                    idle is null ? "" : $"{idle:F0}",
                    $"{s.Count(x => x.Stable)}/{s.Count}",
                ];
            }));

        var totals = rows.SelectMany(r => r.Samples).SelectMany(s => s.Events)
            .GroupBy(e => e.Key).OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => $"{g.Key} {g.Sum(e => e.Value)}");
        if (failed.Count > 0)
        {
            global::System.Console.WriteLine($"did not converge within {s_mustHappen.TotalSeconds} s (not in the table): {string.Join("; ", failed)}");
        }

        global::System.Console.WriteLine($"log events while measuring ({topology.ToString().ToLowerInvariant()}, all sizes and runs): {string.Join(", ", totals)}");
        global::System.Console.WriteLine();
    }

    /// <summary>
    /// Waits until every node has a connection to every other and no gossip frame moved for 300 ms; returns the
    /// milliseconds from <paramref name="start"/> to the full mesh of connections and to the last frame.
    /// </summary>
    private static async Task<(double ConnectedMs, double QuietMs)> QuietAsync(MeshNode[] nodes, EventCounter events, long start, CancellationToken ct)
    {
        var frames = events.Counts.GetValueOrDefault("LogFrame");
        var last = Stopwatch.GetTimestamp();
        long? connected = null;
        while (Stopwatch.GetElapsedTime(start) < s_mustHappen)
        {
            if (connected is null && nodes.All(x => x.Transport.Connections.Count(c => !c.IsClosed) == nodes.Length - 1))
            {
                connected = Stopwatch.GetTimestamp();
            }

            if (connected is not null && Stopwatch.GetElapsedTime(last).TotalMilliseconds >= 300)
            {
                break;
            }

            await Task.Delay(10, ct);
            var now = events.Counts.GetValueOrDefault("LogFrame");
            if (now != frames)
            {
                (frames, last) = (now, Stopwatch.GetTimestamp());
            }
        }

        return connected is { } c
            ? (Stopwatch.GetElapsedTime(start, c).TotalMilliseconds, Stopwatch.GetElapsedTime(start, last).TotalMilliseconds)
            : throw new TimeoutException($"no full mesh of connections after {s_mustHappen.TotalSeconds} s: " +
                string.Join(", ", nodes.Select((x, i) => $"node {i}: {x.Transport.Connections.Count}")));
    }

    /// <summary>Samples the thread pool while a run lasts: how long a queued work item waits to start, and the thread count.</summary>
    private static class PoolProbe
    {
        public static async Task<(double MaxLagMs, int MaxThreads)> RunAsync(CancellationToken ct)
        {
            double maxLag = 0;
            var maxThreads = 0;
            while (!ct.IsCancellationRequested)
            {
                var queued = Stopwatch.GetTimestamp();
                var started = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
                ThreadPool.UnsafeQueueUserWorkItem(_ => started.TrySetResult(Stopwatch.GetTimestamp()), null);
                maxLag = Math.Max(maxLag, Stopwatch.GetElapsedTime(queued, await started.Task).TotalMilliseconds);
                maxThreads = Math.Max(maxThreads, ThreadPool.ThreadCount);
                try
                {
                    await Task.Delay(50, ct);
                }
                catch (OperationCanceledException)
                {
                }
            }

            return (maxLag, maxThreads);
        }
    }

    /// <summary>Ports free right now (bound and released), so tokens can be made before the nodes start.</summary>
    private static int[] FreePorts(int count)
    {
        var sockets = Enumerable.Range(0, count).Select(_ =>
        {
            var s = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            s.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            return s;
        }).ToList();
        var ports = sockets.Select(s => ((IPEndPoint)s.LocalEndPoint!).Port).ToArray();
        sockets.ForEach(s => s.Dispose());
        return ports;
    }

    /// <summary>Bytes received on the loopback interface so far, all processes (from /proc/net/dev).</summary>
    private static long LoopbackBytes()
    {
        var line = File.ReadLines("/proc/net/dev").Select(l => l.Trim()).FirstOrDefault(l => l.StartsWith("lo:", StringComparison.Ordinal));
        return line is null ? 0 : long.Parse(line[3..].Split(' ', StringSplitOptions.RemoveEmptyEntries)[0], CultureInfo.InvariantCulture);
    }

    /// <summary>
    /// Completes when a condition holds for every node's latest snapshot at once; checked on every change of any
    /// node (always against the latest snapshot, so out-of-order notifications cannot fool it).
    /// </summary>
    private sealed class Watch : IDisposable
    {
        private readonly MeshNode[] _nodes;
        private readonly Func<int, MembershipSnapshot, bool> _condition;
        private readonly Action<MembershipSnapshot>[] _handlers;
        private readonly bool[] _holds;
        private readonly Lock _lock = new();
        private readonly TaskCompletionSource<long> _done = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _count;

        public Watch(MeshNode[] nodes, Func<int, MembershipSnapshot, bool> condition)
        {
            _nodes = nodes;
            _condition = condition;
            _holds = new bool[nodes.Length];
            _handlers = nodes.Select((_, i) => (Action<MembershipSnapshot>)(_ => Check(i))).ToArray();
            for (var i = 0; i < nodes.Length; i++)
            {
                nodes[i].Changed += _handlers[i];
            }

            for (var i = 0; i < nodes.Length; i++)
            {
                Check(i);
            }
        }

        private void Check(int i)
        {
            var timestamp = Stopwatch.GetTimestamp();
            var holds = _condition(i, _nodes[i].Snapshot);
            lock (_lock)
            {
                if (_holds[i] != holds)
                {
                    _holds[i] = holds;
                    _count += holds ? 1 : -1;
                }

                if (_count == _nodes.Length)
                {
                    _done.TrySetResult(timestamp);
                }
            }
        }

        public bool AllHold() => _nodes.Select((x, i) => _condition(i, x.Snapshot)).All(h => h);

        public string Describe() => string.Join("; ", _nodes.Select((x, i) =>
            $"node {i} ({x.Id.ToShortString()}): {x.Snapshot.Peers.Length} peers, {x.Snapshot.Peers.Count(p => p.Health != PeerHealth.Alive)} suspected, holds={_condition(i, x.Snapshot)}"));

        /// <summary>Milliseconds from <paramref name="start"/> until the condition held everywhere.</summary>
        public async Task<double> WaitAsync(long start, TimeSpan limit, string what, CancellationToken ct)
        {
            try
            {
                var end = await _done.Task.WaitAsync(limit, ct);
                return Stopwatch.GetElapsedTime(start, end).TotalMilliseconds;
            }
            catch (TimeoutException)
            {
                throw new TimeoutException($"waited {limit.TotalSeconds} s for {what}: {Describe()}");
            }
        }

        public void Dispose()
        {
            for (var i = 0; i < _nodes.Length; i++)
            {
                _nodes[i].Changed -= _handlers[i];
            }
        }
    }
}
