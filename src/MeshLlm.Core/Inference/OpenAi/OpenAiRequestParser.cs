using System.Text.Json;

namespace MeshLlm.Inference.OpenAi;

/// <summary>Parses and validates OpenAI request bodies with a real JSON reader; every failure is a specific 400.</summary>
public static class OpenAiRequestParser
{
    private static readonly HashSet<string> s_roles = ["system", "developer", "user", "assistant", "tool"];

    /// <summary>Most stop strings accepted in one request.</summary>
    public const int MaxStopSequences = 16;

    public static ParseResult ParseChat(ReadOnlySpan<byte> body) => Parse(body, chat: true);

    public static ParseResult ParseCompletion(ReadOnlySpan<byte> body) => Parse(body, chat: false);

    private static ParseResult Parse(ReadOnlySpan<byte> body, bool chat)
    {
        if (!TryParseObject(body, out var document, out var error))
        {
            return error;
        }

        using (document)
        {
            try
            {
                return Build(document.RootElement, chat);
            }
            catch (OpenAiException e)
            {
                return e.Error;
            }
        }
    }

    /// <summary>Parses a body that must be a JSON object.</summary>
    public static bool TryParseObject(ReadOnlySpan<byte> body, out JsonDocument document, out OpenAiError error)
    {
        document = null!;
        error = null!;
        if (body.IsEmpty)
        {
            error = OpenAiError.InvalidRequest("The request body is empty; send a JSON object.");
            return false;
        }

        if (body.StartsWith("\uFEFF"u8))
        {
            body = body[3..];
        }

        var reader = new Utf8JsonReader(body, new JsonReaderOptions { MaxDepth = 64 });
        try
        {
            document = JsonDocument.ParseValue(ref reader);
            if (reader.Read())
            {
                // Anything but whitespace after the root value is an error; Read() throws or returns a token.
                document.Dispose();
                error = OpenAiError.InvalidRequest(
                    $"The request body is not valid JSON (line 1, byte {reader.TokenStartIndex + 1}): content after the end of the object.",
                    code: "invalid_json");
                return false;
            }
        }
        catch (JsonException e)
        {
            document?.Dispose();
            error = OpenAiError.InvalidRequest(
                $"The request body is not valid JSON (line {e.LineNumber + 1}, byte {e.BytePositionInLine + 1}).", code: "invalid_json");
            return false;
        }

        if (document.RootElement.ValueKind != JsonValueKind.Object)
        {
            document.Dispose();
            document = null!;
            error = OpenAiError.InvalidRequest("The request body must be a JSON object.", code: "invalid_json");
            return false;
        }

        return true;
    }

    private static GenerationRequest Build(JsonElement root, bool chat)
    {
        var includeUsage = false;
        if (root.TryGetProperty("stream_options", out var options) && options.ValueKind == JsonValueKind.Object)
        {
            includeUsage = OptionalBool(options, "include_usage", "stream_options.include_usage") ?? false;
        }

        var n = OptionalInt(root, "n");
        if (n is not null and not 1)
        {
            throw Invalid("Only n=1 is supported.", "n");
        }

        return new GenerationRequest
        {
            Model = ReadModel(root) ?? "",
            Messages = chat ? ReadMessages(root) : null,
            Prompt = chat ? null : ReadPrompt(root),
            Sampling = ReadSampling(root),
            Stream = OptionalBool(root, "stream", "stream") ?? false,
            IncludeUsage = includeUsage,
        };
    }

    /// <summary>Reads the top-level <c>model</c>: null when absent, an error when not a string.</summary>
    public static string? ReadModel(JsonElement root)
    {
        if (!root.TryGetProperty("model", out var model) || model.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        return model.ValueKind == JsonValueKind.String
            ? Text(model, "model")
            : throw Invalid("'model' must be a string.", "model");
    }

    private static List<ChatMessage> ReadMessages(JsonElement root)
    {
        if (!root.TryGetProperty("messages", out var messages))
        {
            throw Invalid("'messages' is required: a non-empty array of {role, content} objects.", "messages");
        }

        if (messages.ValueKind != JsonValueKind.Array || messages.GetArrayLength() == 0)
        {
            throw Invalid("'messages' must be a non-empty array of {role, content} objects.", "messages");
        }

        var result = new List<ChatMessage>();
        var index = 0;
        foreach (var message in messages.EnumerateArray())
        {
            result.Add(ReadMessage(message, $"messages[{index++}]"));
        }

        return result;
    }

    private static ChatMessage ReadMessage(JsonElement message, string path)
    {
        if (message.ValueKind != JsonValueKind.Object)
        {
            throw Invalid($"'{path}' must be an object with 'role' and 'content'.", path);
        }

        if (!message.TryGetProperty("role", out var role) || role.ValueKind != JsonValueKind.String)
        {
            throw Invalid($"'{path}.role' is required and must be a string.", $"{path}.role");
        }

        var roleText = Text(role, $"{path}.role");
        if (!s_roles.Contains(roleText))
        {
            throw Invalid($"'{path}.role' is '{roleText}'; expected one of {string.Join(", ", s_roles)}.", $"{path}.role");
        }

        message.TryGetProperty("content", out var content);
        return new ChatMessage(roleText, ReadContent(content, $"{path}.content"));
    }

    private static string ReadContent(JsonElement content, string path)
    {
        switch (content.ValueKind)
        {
            case JsonValueKind.String:
                return Text(content, path);
            case JsonValueKind.Null or JsonValueKind.Undefined:
                return "";
            case JsonValueKind.Array:
                var text = new System.Text.StringBuilder();
                foreach (var part in content.EnumerateArray())
                {
                    if (part.ValueKind != JsonValueKind.Object
                        || !part.TryGetProperty("type", out var type) || type.ValueKind != JsonValueKind.String
                        || !type.ValueEquals("text")
                        || !part.TryGetProperty("text", out var partText) || partText.ValueKind != JsonValueKind.String)
                    {
                        throw Invalid($"'{path}' parts must be {{\"type\":\"text\",\"text\":\"...\"}}; only text is supported.", path);
                    }

                    text.Append(Text(partText, path));
                }

                return text.ToString();
            default:
                throw Invalid($"'{path}' must be a string or an array of text parts.", path);
        }
    }

    private static string ReadPrompt(JsonElement root)
    {
        if (!root.TryGetProperty("prompt", out var prompt))
        {
            throw Invalid("'prompt' is required: a string.", "prompt");
        }

        if (prompt.ValueKind == JsonValueKind.String)
        {
            return Text(prompt, "prompt");
        }

        if (prompt.ValueKind == JsonValueKind.Array && prompt.GetArrayLength() == 1
            && prompt[0].ValueKind == JsonValueKind.String)
        {
            return Text(prompt[0], "prompt");
        }

        throw Invalid("'prompt' must be a string (or an array holding exactly one string).", "prompt");
    }

    private static SamplingParameters ReadSampling(JsonElement root)
    {
        var temperature = OptionalNumber(root, "temperature") ?? 1.0;
        if (temperature is < 0 or > 2)
        {
            throw Invalid($"'temperature' is {temperature}; it must be between 0 and 2.", "temperature");
        }

        var topP = OptionalNumber(root, "top_p") ?? 1.0;
        if (topP is <= 0 or > 1)
        {
            throw Invalid($"'top_p' is {topP}; it must be greater than 0 and at most 1.", "top_p");
        }

        var topK = OptionalInt(root, "top_k") ?? 0;
        if (topK < 0)
        {
            throw Invalid($"'top_k' is {topK}; it must be 0 (off) or more.", "top_k");
        }

        var maxTokensName = root.TryGetProperty("max_completion_tokens", out var newer) && newer.ValueKind != JsonValueKind.Null
            ? "max_completion_tokens"
            : "max_tokens";
        var maxTokens = OptionalInt(root, maxTokensName);
        if (maxTokens is < 1)
        {
            throw Invalid($"'{maxTokensName}' is {maxTokens}; it must be at least 1.", maxTokensName);
        }

        var seed = OptionalInt(root, "seed");
        return new SamplingParameters
        {
            Temperature = (float)temperature,
            TopP = (float)topP,
            TopK = (int)Math.Min(topK, int.MaxValue),
            MaxTokens = maxTokens is null ? null : (int)Math.Min(maxTokens.Value, int.MaxValue),
            Seed = seed is null ? null : unchecked((uint)seed.Value),
            Stop = ReadStop(root),
        };
    }

    private static string[] ReadStop(JsonElement root)
    {
        if (!root.TryGetProperty("stop", out var stop) || stop.ValueKind == JsonValueKind.Null)
        {
            return [];
        }

        string[] values = stop.ValueKind switch
        {
            JsonValueKind.String => [Text(stop, "stop")],
            JsonValueKind.Array when stop.EnumerateArray().All(s => s.ValueKind == JsonValueKind.String) =>
                stop.EnumerateArray().Select(s => Text(s, "stop")).ToArray(),
            _ => throw Invalid("'stop' must be a string or an array of strings.", "stop"),
        };
        if (values.Length > MaxStopSequences)
        {
            throw Invalid($"'stop' has {values.Length} strings; at most {MaxStopSequences} are allowed.", "stop");
        }

        return values.Any(string.IsNullOrEmpty)
            ? throw Invalid("'stop' strings must not be empty.", "stop")
            : values;
    }

    private static double? OptionalNumber(JsonElement root, string name)
    {
        if (!root.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        return value.ValueKind == JsonValueKind.Number
            ? value.GetDouble()
            : throw Invalid($"'{name}' must be a number.", name);
    }

    private static long? OptionalInt(JsonElement root, string name)
    {
        if (!root.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        return value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out var result)
            ? result
            : throw Invalid($"'{name}' must be an integer.", name);
    }

    private static bool? OptionalBool(JsonElement element, string name, string path)
    {
        if (!element.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        return value.ValueKind is JsonValueKind.True or JsonValueKind.False
            ? value.GetBoolean()
            : throw Invalid($"'{path}' must be true or false.", path);
    }

    /// <summary>A string value; invalid UTF-8 or an unpaired surrogate escape is the client's 400, not our 500.</summary>
    private static string Text(JsonElement value, string param)
    {
        try
        {
            return value.GetString()!;
        }
        catch (InvalidOperationException)
        {
            throw Invalid($"'{param}' is not valid UTF-8 text (invalid bytes or an unpaired surrogate escape).", param);
        }
    }

    private static OpenAiException Invalid(string message, string param) =>
        new(OpenAiError.InvalidRequest(message, param));
}
