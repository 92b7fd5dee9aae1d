using System.Text;
using MeshLlm.Inference.OpenAi;
using Microsoft.AspNetCore.Http;

namespace MeshLlm.Inference.LlamaSharp;

internal sealed partial class EmbeddedOpenAiServer
{
    private static readonly byte[] s_dataPrefix = "data: "u8.ToArray();
    private static readonly byte[] s_eventEnd = "\n\n"u8.ToArray();
    private static readonly byte[] s_done = "data: [DONE]\n\n"u8.ToArray();

    private static async Task CompleteAsync(HttpResponse response, GenerationJob job, OpenAiJson json, CancellationToken cancellationToken)
    {
        var text = new StringBuilder();
        await foreach (var item in job.ReadAllAsync(cancellationToken))
        {
            if (item.Error is not null)
            {
                await ServerError(item.Error).WriteAsync(response, cancellationToken);
                return;
            }

            if (item.Finish is { } finish)
            {
                var body = json.Completion(text.ToString(), finish, item.PromptTokens, item.CompletionTokens);
                response.ContentType = "application/json";
                response.ContentLength = body.Length; // one write, no chunked framing for the proxy to relay
                await response.Body.WriteAsync(body, cancellationToken);
                return;
            }

            text.Append(item.Text);
        }
    }

    private static async Task StreamAsync(
        HttpResponse response, GenerationJob job, OpenAiJson json, bool includeUsage, bool chat, CancellationToken cancellationToken)
    {
        response.ContentType = "text/event-stream";
        response.Headers.CacheControl = "no-cache";
        if (chat)
        {
            await WriteEventAsync(response, json.Chunk("", null, role: true), cancellationToken);
        }

        await foreach (var item in job.ReadAllAsync(cancellationToken))
        {
            if (item.Error is not null)
            {
                await WriteEventAsync(response, ServerError(item.Error).ToJsonBytes(), cancellationToken);
                return;
            }

            if (item.Finish is { } finish)
            {
                await WriteEventAsync(response, json.Chunk(chat ? null : "", finish), cancellationToken);
                if (includeUsage)
                {
                    await WriteEventAsync(response, json.UsageChunk(item.PromptTokens, item.CompletionTokens), cancellationToken);
                }

                await response.Body.WriteAsync(s_done, cancellationToken);
                await response.Body.FlushAsync(cancellationToken);
                return;
            }

            await WriteEventAsync(response, json.Chunk(item.Text, null), cancellationToken);
        }
    }

    private static async Task WriteEventAsync(HttpResponse response, byte[] payload, CancellationToken cancellationToken)
    {
        var buffer = new byte[s_dataPrefix.Length + payload.Length + s_eventEnd.Length];
        s_dataPrefix.CopyTo(buffer, 0);
        payload.CopyTo(buffer, s_dataPrefix.Length);
        s_eventEnd.CopyTo(buffer, s_dataPrefix.Length + payload.Length);
        await response.Body.WriteAsync(buffer, cancellationToken);
        await response.Body.FlushAsync(cancellationToken);
    }

    private static OpenAiError ServerError(string message) =>
        new(StatusCodes.Status500InternalServerError, message, "server_error", "engine_error");
}
