using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using MeshLlm.Testing;

namespace MeshLlm.Bench;

/// <summary>
/// Two real nodes on loopback, one invocation: A serves the bench model on the embedded engine, B joins A's mesh
/// with no model (an empty models folder, so it stays standby). Each round probes, in rotating order, (a) A's
/// engine directly, (b) A's own API, (c) B's API, which forwards over an HTTP tunnel (a mesh channel) to A.
/// Every answer from (b) and (c) must name A in <c>X-Mesh-Node</c>. Goals: (b)/(a) ≥ 0.98 and (c)/(a) ≥ 0.95 on
/// decode tok/s, and (c) adds under 2 ms to the time to first token. Because the engine's own time to first token
/// varies by tens of ms from probe to probe on 2 cores, the table also shows the time to the first SSE event (the
/// role chunk, which the embedded engine sends before prompt processing): the path's latency without the compute.
/// A third node T joins with the tiny test model, whose prompt processing and first token take about 1.5 ms: its
/// time to first token, (a) T's engine, (b) T's :port, (c) B's :port over a tunnel to T, is the path's latency
/// and is where the 2 ms goal is judged. Every target first gets <see cref="WarmUpRequests"/> one-token requests,
/// so the request path runs the code a long-running node runs (see <see cref="StreamProbe.WarmUpRequestPathAsync"/>).
/// Added times are medians of the per-round differences. CPU time of A, B and the runner is read around every
/// decode probe (10 ms resolution, summed over all rounds).
/// </summary>
internal static class MeshScenario
{
    private const double LocalGoal = 0.98;
    private const double TunnelGoal = 0.95;
    private const double TunnelTtftGoalMs = 2;
    private const int WarmUpRequests = 100;
    private const string TinyModel = "tiny";

    public static async Task RunAsync(int rounds, int threads, string model, CancellationToken ct)
    {
        var emptyModels = Directory.CreateTempSubdirectory("mesh-llm-bench-no-models-");
        try
        {
            // Both nodes see an empty models folder: A serves the file it is given, B has nothing to be assigned.
            var environment = new Dictionary<string, string?> { ["MESH_LLM_MODELS_DIR"] = emptyModels.FullName };
            await using var a = await BenchNode.StartAsync(model, "embedded", threads, environment, ["--console", "0", "--bind-port", "0"]);
            var token = await a.Process.WaitForTokenAsync();
            // Keep-alive, as OpenAI SDK clients do: no llama-server here, and mesh-llm's API and the embedded engine
            // (Kestrel) keep idle connections for 130 s, so every probe measures the path, not a TCP handshake.
            using var http = StreamProbe.CreateClient(TimeSpan.FromMinutes(1));
            var statusA = await StatusAsync(http, await a.Process.WaitForConsoleAsync(), ct);
            var idA = statusA.GetProperty("short_id").GetString()!;
            if (statusA.TryGetProperty("token", out var statusToken) && statusToken.GetString() != token)
            {
                await global::System.Console.Error.WriteLineAsync("warning: A's /api/status token differs from the one it printed on stdout.");
            }

            // MeshLlmProcess gives B its own MESH_LLM_HOME (a new temp folder).
            await using var b = MeshLlmProcess.Start(["--join", token, "--port", "0", "--console", "0", "--bind-port", "0"], environment);
            var modelName = await ModelIdAsync(http, a.Api, ct);
            var apiB = await b.WaitForApiAsync();
            var consoleB = await b.WaitForConsoleAsync();
            var joined = Stopwatch.GetTimestamp();
            await WaitForModelAsync(http, apiB, modelName, ct);
            var listedAfter = Stopwatch.GetElapsedTime(joined);
            var statusB = await StatusAsync(http, consoleB, ct);
            var idB = statusB.GetProperty("short_id").GetString()!;
            await global::System.Console.Error.WriteLineAsync(
                $"node A {idA}: API {a.Api}, engine {a.Engine}; node B {idB} ({statusB.GetProperty("role").GetString()}): API {apiB}; " +
                $"B listed {modelName} {listedAfter.TotalSeconds:F1} s after its API opened");

            // T serves the tiny model: B reaches it over a tunnel too, and stays a standby proxy (it has no model files).
            await using var tiny = await BenchNode.StartAsync(BenchModel.TinyPath(), "embedded", threads, environment, ["--join", token, "--console", "0", "--bind-port", "0"]);
            await WaitForModelAsync(http, apiB, TinyModel, ct);
            var idT = (await StatusAsync(http, await tiny.Process.WaitForConsoleAsync(), ct)).GetProperty("short_id").GetString()!;

            Uri[] targets = [a.Engine, a.Api, apiB];
            Uri[] tinyTargets = [tiny.Engine, tiny.Api, apiB];
            await StreamProbe.WarmUpAsync(http, targets, ct);
            await StreamProbe.WarmUpRequestPathAsync(http, targets, WarmUpRequests, modelName, ct);
            await StreamProbe.WarmUpRequestPathAsync(http, tinyTargets, WarmUpRequests, TinyModel, ct);

            using var processA = Process.GetProcessById(a.Process.Pid);
            using var processB = Process.GetProcessById(b.Pid);
            using var self = Process.GetCurrentProcess();
            var cpu = new Cpu[targets.Length];
            var samples = await Stats.InterleavedAsync(rounds, targets.Length, async (t, r) =>
            {
                var before = Cpu.Read(processA, processB, self);
                // The same prompt for every target of a round: the embedded engine keeps no prompt cache (each job's
                // sequence is cleared), so all three do the same work and the per-round differences compare like with like.
                var sample = await StreamProbe.DecodeAsync(http, targets[t], $"{r}", ct, modelName);
                cpu[t] += Cpu.Read(processA, processB, self) - before;
                return sample;
            });
            var tinySamples = await Stats.InterleavedAsync(TinyRounds(rounds), tinyTargets.Length,
                (t, r) => StreamProbe.RunAsync(http, tinyTargets[t], $"{r}: tell me about meshes", 4, ct, TinyModel));

            // B must still be a standby proxy (it was never assigned the model) for (c) to measure the tunnel.
            var roleB = (await StatusAsync(http, consoleB, ct)).GetProperty("role").GetString();
            Report(rounds, threads, model, samples, tinySamples, cpu, idA, idT, roleB);
        }
        finally
        {
            emptyModels.Delete(recursive: true);
        }
    }

    /// <summary>Tiny-model rounds: cheap (a few ms each), so enough of them for a tight median.</summary>
    private static int TinyRounds(int rounds) => Math.Max(100, 5 * rounds);

    private static void Report(int rounds, int threads, string model, List<StreamSample>[] samples, List<StreamSample>[] tinySamples, Cpu[] cpu, string idA, string idT, string? roleB)
    {
        var (direct, local, tunnel) = (samples[0], samples[1], samples[2]);
        double Tps(List<StreamSample> s) => Stats.Median(s.Select(x => x.DecodeTokensPerSecond));
        string Spread(List<StreamSample> s) => Stats.RoundSpread(s.Select(x => x.DecodeTokensPerSecond), direct.Select(x => x.DecodeTokensPerSecond));
        string Goal(List<StreamSample> s, double goal) =>
            Stats.Ratio(Tps(s), Tps(direct)) + (Tps(direct) > 0 && Tps(s) / Tps(direct) >= goal ? " met" : " **below**") + $" ({Spread(s)})";
        string Medians(List<StreamSample>[] set, Func<StreamSample, double> measure, string format) =>
            string.Join(" | ", set.Select(s => Stats.Median(s.Select(measure)).ToString(format, CultureInfo.InvariantCulture)));

        // Rounds are paired (each round sends the same prompt to every target), so the added time is the median of
        // the per-round differences, which cancels the drift of a shared VM.
        double[] RoundDifferences(List<StreamSample>[] set, int t, Func<StreamSample, double> measure) =>
            set[t].Zip(set[0], (x, y) => measure(x) - measure(y)).Order().ToArray();
        double AddedMs(List<StreamSample>[] set, int t, Func<StreamSample, double> measure) => Stats.Median(RoundDifferences(set, t, measure));
        string Added(List<StreamSample>[] set, int t, Func<StreamSample, double> measure)
        {
            var added = RoundDifferences(set, t, measure);
            var spread = added.Length < 2 ? "" : $" (rounds {added[(added.Length - 1) / 4]:+0.0;-0.0}–{added[added.Length * 3 / 4]:+0.0;-0.0})";
            return $"{Stats.Median(added):+0.00;-0.00} ms{spread}";
        }

        string TtftGoal(List<StreamSample>[] set, Func<StreamSample, double> measure) =>
            $", goal < {TunnelTtftGoalMs} ms: {(AddedMs(set, 2, measure) < TunnelTtftGoalMs ? "met" : "**not met**")}";
        string PerToken(Func<Cpu, double> part, int t) =>
            $"{part(cpu[t]) / Math.Max(1, samples[t].Sum(s => s.CompletionTokens)):F2}";

        Func<StreamSample, double> ttft = x => x.TtftMs, firstEvent = x => x.FirstEventMs;
        var tinyCompute = Stats.Median(tinySamples[0].Select(x => x.TtftMs - x.FirstEventMs));
        Stats.PrintTable(
            $"mesh: {Path.GetFileName(model)}, embedded engine on node A, {threads} threads, node B without a model (role at the end: {roleB}) forwarding over a tunnel; " +
            $"medians of {rounds} interleaved rounds ({TinyRounds(rounds)} for the tiny model on node T) after {WarmUpRequests} warm-up requests per target, {Environment.ProcessorCount} cores",
            ["measure", "(a) engine direct", "(b) through the serving node's :port", "(c) through B's :port (tunnel)", "(b)/(a), goal ≥ 0.98", "(c)/(a), goal ≥ 0.95"],
            [
                [$"decode tok/s ({StreamProbe.DecodeTokens} tokens, greedy)", $"{Tps(direct):F1}", $"{Tps(local):F1}", $"{Tps(tunnel):F1}",
                    Goal(local, LocalGoal), Goal(tunnel, TunnelGoal)],
                [$"time to first token, ms ({direct[0].PromptTokens}-token prompt; its processing varies by several ms per round)", Medians(samples, ttft, "F1"),
                    Added(samples, 1, ttft), Added(samples, 2, ttft)],
                ["time to first SSE event, ms (role chunk, sent before prompt processing)", Medians(samples, firstEvent, "F2"),
                    Added(samples, 1, firstEvent), Added(samples, 2, firstEvent) + TtftGoal(samples, firstEvent)],
                [$"time to first token, ms, tiny model on node T ({tinySamples[0][0].PromptTokens}-token prompt; its processing and first token take {tinyCompute:F1} ms)", Medians(tinySamples, ttft, "F2"),
                    Added(tinySamples, 1, ttft), Added(tinySamples, 2, ttft) + TtftGoal(tinySamples, ttft)],
                ["CPU ms per generated token, node A (engine included)", PerToken(c => c.A, 0), PerToken(c => c.A, 1), PerToken(c => c.A, 2), "", ""],
                ["CPU ms per generated token, node B", PerToken(c => c.B, 0), PerToken(c => c.B, 1), PerToken(c => c.B, 2), "", ""],
                ["CPU ms per generated token, this runner (client)", PerToken(c => c.Runner, 0), PerToken(c => c.Runner, 1), PerToken(c => c.Runner, 2), "", ""],
            ]);

        CheckServedBy("A", idA, [local, tunnel]);
        CheckServedBy("T", idT, [tinySamples[1], tinySamples[2]]);
        global::System.Console.WriteLine();
    }

    /// <summary>Every answer through (b) and (c) must name the serving node in <c>X-Mesh-Node</c>.</summary>
    private static void CheckServedBy(string name, string id, IEnumerable<List<StreamSample>> sets)
    {
        var named = sets.SelectMany(s => s).ToList();
        var wrong = named.Where(s => s.Node != id).Select(s => s.Node ?? "(none)").Distinct().ToList();
        global::System.Console.WriteLine(wrong.Count == 0
            ? $"X-Mesh-Node named {name} ({id}) on all {named.Count} probes through (b) and (c)."
            : $"warning: X-Mesh-Node did not name {name} ({id}) on {named.Count(s => s.Node != id)} of {named.Count} probes through (b) and (c): {string.Join(", ", wrong)}");
    }

    /// <summary>Polls B's <c>/v1/models</c> until it lists <paramref name="model"/> (served by A, learned through gossip).</summary>
    private static async Task WaitForModelAsync(HttpClient http, Uri api, string model, CancellationToken ct)
    {
        var start = Stopwatch.GetTimestamp();
        var last = "";
        while (Stopwatch.GetElapsedTime(start) < MeshLlmProcess.TimeoutLong)
        {
            last = await http.GetStringAsync(new Uri(api, "v1/models"), ct);
            using var json = JsonDocument.Parse(last);
            if (json.RootElement.GetProperty("data").EnumerateArray().Any(m => m.GetProperty("id").GetString() == model))
            {
                return;
            }

            await Task.Delay(100, ct);
        }

        throw new TimeoutException($"{api}v1/models did not list {model} within {MeshLlmProcess.TimeoutLong.TotalSeconds} s; last answer: {last}");
    }

    /// <summary>The id A's own <c>/v1/models</c> gives its model (it is ready: BenchNode waited for it).</summary>
    private static async Task<string> ModelIdAsync(HttpClient http, Uri api, CancellationToken ct)
    {
        using var json = JsonDocument.Parse(await http.GetStringAsync(new Uri(api, "v1/models"), ct));
        return json.RootElement.GetProperty("data")[0].GetProperty("id").GetString()!;
    }

    private static async Task<JsonElement> StatusAsync(HttpClient http, Uri console, CancellationToken ct)
    {
        using var json = JsonDocument.Parse(await http.GetStringAsync(new Uri(console, "api/status"), ct));
        return json.RootElement.Clone();
    }

    /// <summary>CPU time in ms (user + system) of node A's process, node B's process and this runner.</summary>
    private readonly record struct Cpu(double A, double B, double Runner)
    {
        public static Cpu Read(Process a, Process b, Process runner)
        {
            a.Refresh();
            b.Refresh();
            runner.Refresh();
            return new Cpu(a.TotalProcessorTime.TotalMilliseconds, b.TotalProcessorTime.TotalMilliseconds, runner.TotalProcessorTime.TotalMilliseconds);
        }

        public static Cpu operator -(Cpu x, Cpu y) => new(x.A - y.A, x.B - y.B, x.Runner - y.Runner);

        public static Cpu operator +(Cpu x, Cpu y) => new(x.A + y.A, x.B + y.B, x.Runner + y.Runner);
    }
}
