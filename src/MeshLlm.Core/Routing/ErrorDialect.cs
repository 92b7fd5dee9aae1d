using System.Text.Json;
using MeshLlm.Inference.OpenAi;

namespace MeshLlm.Routing;

/// <summary>
/// Rewrites llama-server's error bodies (<c>{"error":{"code":400,"type":"exceed_context_size_error",...}}</c>)
/// into OpenAI's shape with a string <c>code</c>, so clients see one dialect whichever backend answered.
/// </summary>
internal static class ErrorDialect
{
    private const int MaxErrorBodyBytes = 64 << 10;

    public static async Task NormalizeAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var body = await response.Content.ReadAsByteArrayAsync(cancellationToken);
        var normalized = body.Length <= MaxErrorBodyBytes ? TryNormalize(body, (int)response.StatusCode) : null;
        var content = new ByteArrayContent(normalized ?? body);
        content.Headers.ContentType = response.Content.Headers.ContentType;
        response.Content = content;
    }

    /// <summary>The body in OpenAI's shape, or null when it is already fine or not an error object.</summary>
    public static byte[]? TryNormalize(byte[] body, int status)
    {
        try
        {
            using var document = JsonDocument.Parse(body);
            if (!document.RootElement.TryGetProperty("error", out var error) || error.ValueKind != JsonValueKind.Object
                || !error.TryGetProperty("code", out var code) || code.ValueKind != JsonValueKind.Number)
            {
                return null;
            }

            var type = error.TryGetProperty("type", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString()! : "server_error";
            var message = error.TryGetProperty("message", out var m) && m.ValueKind == JsonValueKind.String ? m.GetString()! : "The model server failed.";
            var (openAiType, openAiCode) = type switch
            {
                "exceed_context_size_error" => ("invalid_request_error", "context_length_exceeded"),
                "invalid_request_error" => ("invalid_request_error", "invalid_request"),
                "not_found_error" => ("invalid_request_error", "not_found"),
                "unavailable_error" => ("server_error", "model_loading"),
                _ => (type, type),
            };
            return new OpenAiError(status, message, openAiType, openAiCode).ToJsonBytes();
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
