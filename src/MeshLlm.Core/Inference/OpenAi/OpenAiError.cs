using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace MeshLlm.Inference.OpenAi;

/// <summary>An OpenAI-style error: <c>{"error":{"message","type","code"}}</c> with its HTTP status.</summary>
public sealed record OpenAiError(int StatusCode, string Message, string Type, string? Code, string? Param = null)
{
    /// <summary>Seconds a client should wait before retrying; sent as <c>Retry-After</c> when set.</summary>
    public int? RetryAfterSeconds { get; init; }

    public static OpenAiError InvalidRequest(string message, string? param = null, string code = "invalid_request") =>
        new(StatusCodes.Status400BadRequest, message, "invalid_request_error", code, param);

    public static OpenAiError ModelNotFound(string model, IReadOnlyCollection<string> available) =>
        new(StatusCodes.Status404NotFound,
            available.Count == 0
                ? $"The model '{model}' does not exist: no model is being served yet."
                : $"The model '{model}' does not exist. Available models: {string.Join(", ", available)}.",
            "invalid_request_error", "model_not_found", "model");

    public static OpenAiError Loading(string model, int retryAfterSeconds) =>
        new(StatusCodes.Status503ServiceUnavailable,
            $"The model '{model}' is loading. Retry in a few seconds.", "server_error", "model_loading")
        { RetryAfterSeconds = retryAfterSeconds };

    public static OpenAiError NotFound(string path) =>
        new(StatusCodes.Status404NotFound, $"Unknown endpoint '{path}'.", "invalid_request_error", "unknown_url");

    public static OpenAiError ContextOverflow(int promptTokens, int contextTokens) =>
        new(StatusCodes.Status400BadRequest,
            $"The prompt is {promptTokens} tokens, but this model's context holds {contextTokens} tokens per request. " +
            "Shorten the prompt or start the node with a larger --ctx-size.",
            "invalid_request_error", "context_length_exceeded", "messages");

    /// <summary>Writes this error as the whole response.</summary>
    public async Task WriteAsync(HttpResponse response, CancellationToken cancellationToken)
    {
        response.StatusCode = StatusCode;
        response.ContentType = "application/json";
        if (RetryAfterSeconds is { } seconds)
        {
            response.Headers.RetryAfter = seconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        await using var writer = new Utf8JsonWriter(response.Body, JsonOutput.Options);
        WriteJson(writer);
        await writer.FlushAsync(cancellationToken);
    }

    /// <summary>The <c>{"error":{...}}</c> object as UTF-8 JSON, e.g. for an SSE error event.</summary>
    public byte[] ToJsonBytes()
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer, JsonOutput.Options))
        {
            WriteJson(writer);
        }

        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>Writes the <c>{"error":{...}}</c> object.</summary>
    public void WriteJson(Utf8JsonWriter writer)
    {
        writer.WriteStartObject();
        writer.WriteStartObject("error");
        writer.WriteString("message", Message);
        writer.WriteString("type", Type);
        if (Param is null) writer.WriteNull("param"); else writer.WriteString("param", Param);
        if (Code is null) writer.WriteNull("code"); else writer.WriteString("code", Code);
        writer.WriteEndObject();
        writer.WriteEndObject();
    }
}
