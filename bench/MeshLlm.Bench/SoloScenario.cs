using System.Diagnostics;
using MeshLlm.Testing;

namespace MeshLlm.Bench;

/// <summary>
/// One node, embedded engine, bench model: through :9337 versus the engine's own port (interleaved rounds,
/// same process, same warm model), prompt processing, and engine throughput at 1 and 4 concurrent streams.
/// </summary>
internal static class SoloScenario
{
    private const int DecodeTokens = 128;

    public static async Task RunAsync(int rounds, int threads, string? modelPath, CancellationToken ct)
    {
        var model = modelPath ?? BenchModel.Path();
        await using var node = MeshLlmProcess.Start(
            ["--model", model, "--port", "0", "--parallel", "4", "--threads", threads.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        var api = await node.WaitForApiAsync();
        var engine = await node.WaitForReadyAsync();
        using var http = new HttpClient { Timeout = TimeSpan.FromMinutes(10) };

        for (var i = 0; i < 3; i++)
        {
            // Warm both paths (JIT, connection pools, the model's pages) before measuring.
            await StreamProbe.RunAsync(http, engine, "warm up", 64, ct);
            await StreamProbe.RunAsync(http, api, "warm up", 64, ct);
        }

        var viaApi = new List<StreamSample>();
        var direct = new List<StreamSample>();
        for (var i = 0; i < rounds; i++)
        {
            // Alternate the order so drift on a noisy VM hits both sides alike.
            var (a, b) = i % 2 == 0 ? (api, engine) : (engine, api);
            var first = await StreamProbe.RunAsync(http, a, $"Round {i}: tell me about meshes", DecodeTokens, ct);
            var second = await StreamProbe.RunAsync(http, b, $"Round {i}: tell me about meshes", DecodeTokens, ct);
            (a == api ? viaApi : direct).Add(first);
            (b == api ? viaApi : direct).Add(second);
        }

        var longPrompt = string.Join(' ', Enumerable.Range(0, 90).Select(i => $"word{i}"));
        var prefill = new List<StreamSample>();
        for (var i = 0; i < rounds; i++)
        {
            prefill.Add(await StreamProbe.RunAsync(http, engine, $"{i} {longPrompt}", 1, ct));
        }

        var one = await ConcurrentAsync(http, engine, 1, rounds, ct);
        var four = await ConcurrentAsync(http, engine, 4, rounds, ct);
        Report(rounds, threads, viaApi, direct, prefill, one, four);
    }

    private static async Task<double> ConcurrentAsync(HttpClient http, Uri engine, int streams, int rounds, CancellationToken ct)
    {
        var rates = new List<double>();
        for (var r = 0; r < rounds; r++)
        {
            var start = Stopwatch.GetTimestamp();
            var samples = await Task.WhenAll(Enumerable.Range(0, streams)
                .Select(i => StreamProbe.RunAsync(http, engine, $"Stream {i} round {r}", DecodeTokens, ct)));
            rates.Add(samples.Sum(s => s.CompletionTokens) / Stopwatch.GetElapsedTime(start).TotalSeconds);
        }

        return Median(rates);
    }

    private static void Report(int rounds, int threads, List<StreamSample> viaApi, List<StreamSample> direct,
        List<StreamSample> prefill, double one, double four)
    {
        double apiTps = Median(viaApi.Select(s => s.DecodeTokensPerSecond)), directTps = Median(direct.Select(s => s.DecodeTokensPerSecond));
        double apiTtft = Median(viaApi.Select(s => s.TtftMs)), directTtft = Median(direct.Select(s => s.TtftMs));
        var pp = Median(prefill.Select(s => s.PromptTokens / (s.TtftMs / 1000)));
        var rows = new (string, string, string, string)[]
        {
            ("decode tok/s (128 tokens, greedy)", $"{apiTps:F1}", $"{directTps:F1}", $"{apiTps / directTps:F3}"),
            ("time to first token, ms", $"{apiTtft:F1}", $"{directTtft:F1}", $"+{apiTtft - directTtft:F2} ms"),
            ($"prompt processing tok/s ({prefill[0].PromptTokens}-token prompt)", "", $"{pp:F0}", ""),
            ("engine aggregate tok/s, 1 stream", "", $"{one:F1}", ""),
            ("engine aggregate tok/s, 4 concurrent streams", "", $"{four:F1}", $"×{four / one:F2} vs 1"),
        };
        global::System.Console.WriteLine($"solo: bench model, embedded engine, {threads} threads, medians of {rounds} rounds, {Environment.ProcessorCount} cores");
        global::System.Console.WriteLine();
        global::System.Console.WriteLine("| measure | through :9337 | engine direct | ratio |");
        global::System.Console.WriteLine("|---|---|---|---|");
        foreach (var (name, api, engine, ratio) in rows)
        {
            global::System.Console.WriteLine($"| {name} | {api} | {engine} | {ratio} |");
        }
    }

    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length == 0 ? 0 : sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
    }
}
