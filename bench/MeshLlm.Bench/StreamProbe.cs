using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;

namespace MeshLlm.Bench;

/// <summary>One streamed chat completion, timed: time to first token and decode rate after it.</summary>
internal sealed record StreamSample(double TtftMs, double DecodeTokensPerSecond, int CompletionTokens, int PromptTokens, double TotalMs)
{
    /// <summary>Prompt tokens over the time to first token (which also holds one decode step and the HTTP round trip).</summary>
    public double PromptTokensPerSecond => TtftMs > 0 ? PromptTokens / (TtftMs / 1000) : 0;

    /// <summary>The <c>X-Mesh-Node</c> response header (the short id of the node that served it); null from an engine directly.</summary>
    public string? Node { get; init; }

    /// <summary>
    /// Time from sending the request to the first SSE event of any kind (the embedded engine sends its role chunk
    /// before prompt processing): the path's own latency, without the engine's compute.
    /// </summary>
    public double FirstEventMs { get; init; }
}

internal static class StreamProbe
{
    public const int DecodeTokens = 128;

    private static int s_retries;

    private static readonly string s_longPrompt = string.Join(' ', Enumerable.Range(0, 90).Select(i => $"word{i}"));

    /// <summary>
    /// A short (~30-token) prompt and <see cref="DecodeTokens"/> greedy tokens. <paramref name="tag"/> starts the
    /// prompt so no two probes share a prefix that llama-server's prompt cache could reuse.
    /// </summary>
    public static Task<StreamSample> DecodeAsync(HttpClient http, Uri target, string tag, CancellationToken ct, string model = "auto") =>
        RunAsync(http, target, $"{tag}: tell me about meshes", DecodeTokens, ct, model);

    /// <summary>A long prompt (a few hundred tokens) and one token: prompt processing.</summary>
    public static Task<StreamSample> PrefillAsync(HttpClient http, Uri target, string tag, CancellationToken ct) =>
        RunAsync(http, target, $"{tag} {s_longPrompt}", 1, ct);

    /// <summary>Warms every target (JIT, connection pools, the model's pages) before measuring.</summary>
    public static async Task WarmUpAsync(HttpClient http, IReadOnlyList<Uri> targets, CancellationToken ct)
    {
        for (var i = 0; i < 3; i++)
        {
            foreach (var target in targets)
            {
                await RunAsync(http, target, $"warm up {i}", 64, ct);
                await PrefillAsync(http, target, $"warm up {i}", ct);
            }
        }
    }

    /// <summary>
    /// Sends <paramref name="requests"/> one-token requests to every target, so the request path runs the code a
    /// long-running node runs: the runtime re-compiles a method with profile-guided optimizations only after 30
    /// calls, in the background, and that covers the framework's precompiled code (Kestrel, HttpClient) too. Before
    /// that a request through a tunnel took 1.5-2.5 ms longer (docs/BENCHMARKS.md, mesh, "Steady-state runs").
    /// </summary>
    public static async Task WarmUpRequestPathAsync(HttpClient http, IReadOnlyList<Uri> targets, int requests, string model, CancellationToken ct)
    {
        for (var i = 0; i < requests; i++)
        {
            foreach (var target in targets)
            {
                await RunAsync(http, target, $"warm up {i}", 1, ct, model);
            }
        }
    }

    /// <summary>Probes that failed before any answer and were retried once (see <see cref="RunAsync"/>).</summary>
    public static int Retries => s_retries;

    /// <summary>
    /// A client whose idle connections expire after 2 s, before llama-server (cpp-httplib: <c>Keep-Alive: timeout=5</c>)
    /// closes them: a request sent on a connection the server is closing at that moment fails with "response ended
    /// prematurely", and interleaved rounds leave each target idle for about 5 s.
    /// </summary>
    public static HttpClient CreateClient() => CreateClient(TimeSpan.FromSeconds(2));

    /// <summary>A client that keeps idle connections for <paramref name="pooledIdle"/>: for servers that keep them longer than llama-server.</summary>
    public static HttpClient CreateClient(TimeSpan pooledIdle) =>
        new(new SocketsHttpHandler { PooledConnectionIdleTimeout = pooledIdle, UseProxy = false }) { Timeout = TimeSpan.FromMinutes(10) };

    /// <summary>Runs one probe; a failure before any answer (e.g. a 502 from the proxy) is printed and retried once.</summary>
    public static async Task<StreamSample> RunAsync(HttpClient http, Uri baseAddress, string prompt, int maxTokens, CancellationToken ct, string model = "auto")
    {
        try
        {
            return await RunOnceAsync(http, baseAddress, prompt, maxTokens, model, ct);
        }
        catch (HttpRequestException e)
        {
            Interlocked.Increment(ref s_retries);
            await global::System.Console.Error.WriteLineAsync($"warning: {e.Message} {e.InnerException?.InnerException?.Message} Retrying once.");
            return await RunOnceAsync(http, baseAddress, prompt, maxTokens, model, ct);
        }
    }

    private static async Task<StreamSample> RunOnceAsync(HttpClient http, Uri baseAddress, string prompt, int maxTokens, string model, CancellationToken ct)
    {
        var body = new
        {
            model,
            stream = true,
            temperature = 0,
            max_tokens = maxTokens,
            stream_options = new { include_usage = true },
            messages = new[] { new { role = "user", content = prompt } },
        };
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(baseAddress, "v1/chat/completions")) { Content = JsonContent.Create(body) };
        var start = Stopwatch.GetTimestamp();
        HttpResponseMessage? response = null;
        try
        {
            response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
            response.EnsureSuccessStatusCode();
        }
        catch (HttpRequestException e)
        {
            response?.Dispose();
            throw new HttpRequestException($"POST {request.RequestUri} failed: {e.Message}", e);
        }

        using var _ = response;
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(ct));
        double? first = null, firstEvent = null;
        double last = 0;
        int completionTokens = 0, promptTokens = 0;
        while (await reader.ReadLineAsync(ct) is { } line)
        {
            if (!line.StartsWith("data: ", StringComparison.Ordinal) || line == "data: [DONE]")
            {
                continue;
            }

            firstEvent ??= Stopwatch.GetElapsedTime(start).TotalMilliseconds;
            using var json = JsonDocument.Parse(line.AsMemory(6));
            var root = json.RootElement;
            if (root.TryGetProperty("usage", out var usage) && usage.ValueKind == JsonValueKind.Object)
            {
                completionTokens = usage.GetProperty("completion_tokens").GetInt32();
                promptTokens = usage.GetProperty("prompt_tokens").GetInt32();
            }

            if (root.TryGetProperty("choices", out var choices) && choices.GetArrayLength() > 0
                && choices[0].TryGetProperty("delta", out var delta)
                && delta.TryGetProperty("content", out var content) && content.ValueKind == JsonValueKind.String && content.GetString() is { Length: > 0 })
            {
                var now = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
                first ??= now;
                last = now;
            }
        }

        var total = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        var decodeMs = last - (first ?? last);
        var rate = decodeMs > 0 ? (completionTokens - 1) / (decodeMs / 1000) : 0;
        var node = response.Headers.TryGetValues("X-Mesh-Node", out var values) ? values.FirstOrDefault() : null;
        return new StreamSample(first ?? total, rate, completionTokens, promptTokens, total) { Node = node, FirstEventMs = firstEvent ?? total };
    }
}
