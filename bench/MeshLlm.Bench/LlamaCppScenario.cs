namespace MeshLlm.Bench;

/// <summary>
/// Two nodes on the bench model with the same thread count, both alive, only one generating at a time:
/// one on llama.cpp (<c>--backend llamacpp</c>, llama-server as a child) and one on the embedded engine.
/// Each round probes, in rotating order, llama-server through :9337, llama-server directly, and the embedded
/// engine directly: a 128-token decode after a short prompt, then a long prompt alone. Answers two questions:
/// what the proxy costs on llama.cpp (goal ≥ 0.98), and how the embedded engine compares with llama-server
/// (goal ≥ 0.9).
/// </summary>
internal static class LlamaCppScenario
{
    private const double ProxyGoal = 0.98;
    private const double EngineGoal = 0.9;

    public static async Task RunAsync(int rounds, int threads, string model, string binDir, CancellationToken ct)
    {
        await using var llama = await BenchNode.StartAsync(model, "llamacpp", threads, new Dictionary<string, string?> { ["MESH_LLM_BIN_DIR"] = binDir });
        await using var embedded = await BenchNode.StartAsync(model, "embedded", threads);
        using var http = StreamProbe.CreateClient();
        Uri[] targets = [llama.Api, llama.Engine, embedded.Engine];
        await global::System.Console.Error.WriteLineAsync($"llama-server node: API {llama.Api}, llama-server {llama.Engine}; embedded node: engine {embedded.Engine}");
        await StreamProbe.WarmUpAsync(http, targets, ct);

        var samples = await Stats.InterleavedAsync(rounds, targets.Length, async (t, r) =>
        {
            var decode = await StreamProbe.DecodeAsync(http, targets[t], $"{r}.{t}", ct);
            var prefill = await StreamProbe.PrefillAsync(http, targets[t], $"{r}.{t}", ct);
            return (Decode: decode, Prefill: prefill);
        });

        var (viaApi, server, engine) = (Summary.Of(samples[0]), Summary.Of(samples[1]), Summary.Of(samples[2]));
        var title = $"{Path.GetFileName(model)}, {threads} threads, --parallel 4, medians of {rounds} interleaved rounds, {Environment.ProcessorCount} cores";
        Stats.PrintTable(
            $"llamacpp, proxy: llama-server through :9337 vs directly; {title}",
            ["measure", "through :9337", "llama-server direct", "ratio (goal ≥ 0.98)"],
            [
                [$"decode tok/s ({StreamProbe.DecodeTokens} tokens, greedy)", $"{viaApi.Decode:F1}", $"{server.Decode:F1}",
                    Goal(viaApi.Decode, server.Decode, ProxyGoal, Spread(samples[0], samples[1], s => s.Decode.DecodeTokensPerSecond))],
                [$"time to first token, ms ({server.ShortPrompt}-token prompt)", $"{viaApi.Ttft:F1}", $"{server.Ttft:F1}", $"{viaApi.Ttft - server.Ttft:+0.00;-0.00} ms"],
                [$"prompt processing tok/s ({server.LongPrompt}-token prompt)", $"{viaApi.Prefill:F0}", $"{server.Prefill:F0}",
                    Goal(viaApi.Prefill, server.Prefill, ProxyGoal, Spread(samples[0], samples[1], s => s.Prefill.PromptTokensPerSecond))],
            ]);
        Stats.PrintTable(
            $"llamacpp, engines: embedded (LLamaSharp) vs llama-server, both directly; {title}",
            ["measure", "embedded", "llama-server", "embedded / llama-server (goal ≥ 0.9)"],
            [
                [$"decode tok/s ({StreamProbe.DecodeTokens} tokens, greedy)", $"{engine.Decode:F1}", $"{server.Decode:F1}",
                    Goal(engine.Decode, server.Decode, EngineGoal, Spread(samples[2], samples[1], s => s.Decode.DecodeTokensPerSecond))],
                [$"prompt processing tok/s ({engine.LongPrompt} / {server.LongPrompt}-token prompt)", $"{engine.Prefill:F0}", $"{server.Prefill:F0}",
                    Goal(engine.Prefill, server.Prefill, EngineGoal, Spread(samples[2], samples[1], s => s.Prefill.PromptTokensPerSecond))],
                [$"time to first token, ms ({engine.ShortPrompt} / {server.ShortPrompt}-token prompt)", $"{engine.Ttft:F1}", $"{server.Ttft:F1}", Stats.Ratio(server.Ttft, engine.Ttft) + " (speed)"],
            ]);
    }

    private static string Spread(List<(StreamSample Decode, StreamSample Prefill)> a, List<(StreamSample Decode, StreamSample Prefill)> b,
        Func<(StreamSample Decode, StreamSample Prefill), double> measure) => Stats.RoundSpread(a.Select(measure), b.Select(measure));

    private static string Goal(double value, double baseline, double goal, string spread) =>
        Stats.Ratio(value, baseline) + (baseline > 0 && value / baseline >= goal ? " met" : " **below**") + $" ({spread})";

    /// <summary>Medians of one target's samples, and the prompt lengths the engine counted.</summary>
    private sealed record Summary(double Decode, double Ttft, double Prefill, int ShortPrompt, int LongPrompt)
    {
        public static Summary Of(List<(StreamSample Decode, StreamSample Prefill)> samples) => new(
            Stats.Median(samples.Select(s => s.Decode.DecodeTokensPerSecond)),
            Stats.Median(samples.Select(s => s.Decode.TtftMs)),
            Stats.Median(samples.Select(s => s.Prefill.PromptTokensPerSecond)),
            samples[0].Decode.PromptTokens,
            samples[0].Prefill.PromptTokens);
    }
}
