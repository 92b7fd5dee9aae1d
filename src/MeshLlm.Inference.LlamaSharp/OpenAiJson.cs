using System.Buffers;
using System.Text.Json;
using MeshLlm.Inference.OpenAi;

namespace MeshLlm.Inference.LlamaSharp;

/// <summary>Formats OpenAI response bodies and stream chunks for chat and plain completions.</summary>
internal sealed class OpenAiJson(string id, string model, long created, bool chat)
{
    public byte[] Completion(string text, FinishReason finish, int promptTokens, int completionTokens) =>
        Write(w =>
        {
            Header(w, chat ? "chat.completion" : "text_completion");
            w.WriteStartArray("choices");
            w.WriteStartObject();
            w.WriteNumber("index", 0);
            if (chat)
            {
                w.WriteStartObject("message");
                w.WriteString("role", "assistant");
                w.WriteString("content", text);
                w.WriteEndObject();
            }
            else
            {
                w.WriteString("text", text);
            }

            w.WriteNull("logprobs");
            w.WriteString("finish_reason", Name(finish));
            w.WriteEndObject();
            w.WriteEndArray();
            Usage(w, promptTokens, completionTokens);
        });

    /// <summary>A stream chunk; <paramref name="role"/> only on the first chat chunk.</summary>
    public byte[] Chunk(string? text, FinishReason? finish, bool role = false) =>
        Write(w =>
        {
            Header(w, chat ? "chat.completion.chunk" : "text_completion");
            w.WriteStartArray("choices");
            w.WriteStartObject();
            w.WriteNumber("index", 0);
            if (chat)
            {
                w.WriteStartObject("delta");
                if (role)
                {
                    w.WriteString("role", "assistant");
                }

                if (text is not null)
                {
                    w.WriteString("content", text);
                }

                w.WriteEndObject();
            }
            else
            {
                w.WriteString("text", text ?? "");
            }

            w.WriteNull("logprobs");
            if (finish is { } f) w.WriteString("finish_reason", Name(f)); else w.WriteNull("finish_reason");
            w.WriteEndObject();
            w.WriteEndArray();
        });

    /// <summary>The final usage chunk of <c>stream_options.include_usage</c>: empty choices plus usage.</summary>
    public byte[] UsageChunk(int promptTokens, int completionTokens) =>
        Write(w =>
        {
            Header(w, chat ? "chat.completion.chunk" : "text_completion");
            w.WriteStartArray("choices");
            w.WriteEndArray();
            Usage(w, promptTokens, completionTokens);
        });

    private void Header(Utf8JsonWriter w, string objectName)
    {
        w.WriteString("id", id);
        w.WriteString("object", objectName);
        w.WriteNumber("created", created);
        w.WriteString("model", model);
    }

    private static void Usage(Utf8JsonWriter w, int promptTokens, int completionTokens)
    {
        w.WriteStartObject("usage");
        w.WriteNumber("prompt_tokens", promptTokens);
        w.WriteNumber("completion_tokens", completionTokens);
        w.WriteNumber("total_tokens", promptTokens + completionTokens);
        w.WriteEndObject();
    }

    private static string Name(FinishReason reason) => reason == FinishReason.Stop ? "stop" : "length";

    private static byte[] Write(Action<Utf8JsonWriter> body)
    {
        var buffer = new ArrayBufferWriter<byte>(512);
        using (var writer = new Utf8JsonWriter(buffer, JsonOutput.Options))
        {
            writer.WriteStartObject();
            body(writer);
            writer.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }
}
