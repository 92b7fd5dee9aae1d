using System.Diagnostics;

namespace MeshLlm.Bench;

/// <summary>
/// One node, embedded engine, bench model: through :9337 versus the engine's own port (interleaved rounds,
/// same process, same warm model), prompt processing, and engine throughput at 1 and 4 concurrent streams.
/// </summary>
internal static class SoloScenario
{
    public static async Task RunAsync(int rounds, int threads, string model, CancellationToken ct)
    {
        await using var node = await BenchNode.StartAsync(model, "embedded", threads);
        using var http = StreamProbe.CreateClient();
        await StreamProbe.WarmUpAsync(http, [node.Api, node.Engine], ct);

        Uri[] targets = [node.Api, node.Engine];
        var decode = await Stats.InterleavedAsync(rounds, targets.Length,
            (t, r) => StreamProbe.DecodeAsync(http, targets[t], $"{r}.{t}", ct));
        var prefill = await Stats.InterleavedAsync(rounds, 1,
            (_, r) => StreamProbe.PrefillAsync(http, node.Engine, $"{r}", ct));

        var one = await ConcurrentAsync(http, node.Engine, 1, rounds, ct);
        var four = await ConcurrentAsync(http, node.Engine, 4, rounds, ct);
        Report(rounds, threads, decode[0], decode[1], prefill[0], one, four);
    }

    private static async Task<double> ConcurrentAsync(HttpClient http, Uri engine, int streams, int rounds, CancellationToken ct)
    {
        var rates = new List<double>();
        for (var r = 0; r < rounds; r++)
        {
            var start = Stopwatch.GetTimestamp();
            var samples = await Task.WhenAll(Enumerable.Range(0, streams)
                .Select(i => StreamProbe.DecodeAsync(http, engine, $"Stream {i} round {r}", ct)));
            rates.Add(samples.Sum(s => s.CompletionTokens) / Stopwatch.GetElapsedTime(start).TotalSeconds);
        }

        return Stats.Median(rates);
    }

    private static void Report(int rounds, int threads, List<StreamSample> viaApi, List<StreamSample> direct,
        List<StreamSample> prefill, double one, double four)
    {
        double apiTps = Stats.Median(viaApi.Select(s => s.DecodeTokensPerSecond)), directTps = Stats.Median(direct.Select(s => s.DecodeTokensPerSecond));
        double apiTtft = Stats.Median(viaApi.Select(s => s.TtftMs)), directTtft = Stats.Median(direct.Select(s => s.TtftMs));
        var pp = Stats.Median(prefill.Select(s => s.PromptTokensPerSecond));
        Stats.PrintTable(
            $"solo: bench model, embedded engine, {threads} threads, medians of {rounds} rounds, {Environment.ProcessorCount} cores",
            ["measure", "through :9337", "engine direct", "ratio"],
            [
                [$"decode tok/s ({StreamProbe.DecodeTokens} tokens, greedy)", $"{apiTps:F1}", $"{directTps:F1}",
                    $"{Stats.Ratio(apiTps, directTps)} ({Stats.RoundSpread(viaApi.Select(s => s.DecodeTokensPerSecond), direct.Select(s => s.DecodeTokensPerSecond))})"],
                [$"time to first token, ms ({direct[0].PromptTokens}-token prompt)", $"{apiTtft:F1}", $"{directTtft:F1}", $"{apiTtft - directTtft:+0.00;-0.00} ms"],
                [$"prompt processing tok/s ({prefill[0].PromptTokens}-token prompt)", "", $"{pp:F0}", ""],
                ["engine aggregate tok/s, 1 stream", "", $"{one:F1}", ""],
                ["engine aggregate tok/s, 4 concurrent streams", "", $"{four:F1}", $"×{four / one:F2} vs 1"],
            ]);
    }
}
