using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;

namespace MeshLlm.Bench;

/// <summary>One streamed chat completion, timed: time to first token and decode rate after it.</summary>
internal sealed record StreamSample(double TtftMs, double DecodeTokensPerSecond, int CompletionTokens, int PromptTokens, double TotalMs);

internal static class StreamProbe
{
    public static async Task<StreamSample> RunAsync(HttpClient http, Uri baseAddress, string prompt, int maxTokens, CancellationToken ct)
    {
        var body = new
        {
            model = "auto",
            stream = true,
            temperature = 0,
            max_tokens = maxTokens,
            stream_options = new { include_usage = true },
            messages = new[] { new { role = "user", content = prompt } },
        };
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(baseAddress, "v1/chat/completions")) { Content = JsonContent.Create(body) };
        var start = Stopwatch.GetTimestamp();
        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
        response.EnsureSuccessStatusCode();
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(ct));
        double? first = null;
        double last = 0;
        int contentChunks = 0, completionTokens = 0, promptTokens = 0;
        while (await reader.ReadLineAsync(ct) is { } line)
        {
            if (!line.StartsWith("data: ", StringComparison.Ordinal) || line == "data: [DONE]")
            {
                continue;
            }

            using var json = JsonDocument.Parse(line.AsMemory(6));
            var root = json.RootElement;
            if (root.TryGetProperty("usage", out var usage) && usage.ValueKind == JsonValueKind.Object)
            {
                completionTokens = usage.GetProperty("completion_tokens").GetInt32();
                promptTokens = usage.GetProperty("prompt_tokens").GetInt32();
            }

            if (root.GetProperty("choices") is { } choices && choices.GetArrayLength() > 0
                && choices[0].GetProperty("delta").TryGetProperty("content", out var content) && content.GetString() is { Length: > 0 })
            {
                var now = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
                first ??= now;
                last = now;
                contentChunks++;
            }
        }

        var total = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        var decodeMs = last - (first ?? last);
        var rate = decodeMs > 0 ? (completionTokens - 1) / (decodeMs / 1000) : 0;
        return new StreamSample(first ?? total, rate, completionTokens, promptTokens, total);
    }
}
