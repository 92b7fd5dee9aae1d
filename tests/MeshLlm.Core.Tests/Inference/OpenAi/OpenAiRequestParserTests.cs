using System.Text;
using System.Text.Json;

namespace MeshLlm.Inference.OpenAi;

public sealed class OpenAiRequestParserTests
{
    private const string User = """{"role":"user","content":"hi"}""";
    private const string Messages = "\"messages\":[" + User + "]";

    private const string EmptyBodyMessage = "The request body is empty; send a JSON object.";
    private const string NotObjectMessage = "The request body must be a JSON object.";
    private const string MessagesNotArray = "'messages' must be a non-empty array of {role, content} objects.";
    private const string BadContent = "'messages[0].content' must be a string or an array of text parts.";
    private const string BadParts = "'messages[0].content' parts must be {\"type\":\"text\",\"text\":\"...\"}; only text is supported.";
    private const string BadRole = "'messages[0].role' is required and must be a string.";
    private const string BadStop = "'stop' must be a string or an array of strings.";
    private const string BadPrompt = "'prompt' must be a string (or an array holding exactly one string).";

    private static byte[] Utf8(string json) => Encoding.UTF8.GetBytes(json);

    private static GenerationRequest Chat(string json)
    {
        ParseResult result = OpenAiRequestParser.ParseChat(Utf8(json));
        Assert.True(result.IsValid, $"Expected a valid request, got: {result.Error?.Message}");
        Assert.Null(result.Error);
        return result.Request;
    }

    private static GenerationRequest Completion(string json)
    {
        ParseResult result = OpenAiRequestParser.ParseCompletion(Utf8(json));
        Assert.True(result.IsValid, $"Expected a valid request, got: {result.Error?.Message}");
        Assert.Null(result.Error);
        return result.Request;
    }

    private static OpenAiError ChatError(string json) => Error(OpenAiRequestParser.ParseChat(Utf8(json)));

    private static OpenAiError CompletionError(string json) => Error(OpenAiRequestParser.ParseCompletion(Utf8(json)));

    private static OpenAiError Error(ParseResult result)
    {
        Assert.False(result.IsValid, "Expected an error, got a valid request.");
        Assert.Null(result.Request);
        OpenAiError error = result.Error;
        Assert.Equal(400, error.StatusCode);
        Assert.Equal("invalid_request_error", error.Type);
        Assert.Null(error.RetryAfterSeconds);
        return error;
    }

    // ---- valid chat requests ----

    [Fact]
    public void ParseChat_AllFields_MapsEveryValue()
    {
        const string body = """
            {
              "model": "qwen3-8b",
              "messages": [
                {"role": "system", "content": "Be brief."},
                {"role": "user", "content": [{"type": "text", "text": "Hello, "}, {"type": "text", "text": "world"}]},
                {"role": "assistant", "content": null},
                {"role": "developer", "content": "dev"},
                {"role": "tool", "content": "42"}
              ],
              "temperature": 0.25,
              "top_p": 0.5,
              "top_k": 40,
              "seed": 1234,
              "max_tokens": 100,
              "stop": ["\n\n", "END"],
              "stream": true,
              "stream_options": {"include_usage": true},
              "n": 1
            }
            """;

        GenerationRequest request = Chat(body);

        Assert.Equal("qwen3-8b", request.Model);
        Assert.True(request.IsChat);
        Assert.Null(request.Prompt);
        Assert.Equal(
            [
                new ChatMessage("system", "Be brief."),
                new ChatMessage("user", "Hello, world"),
                new ChatMessage("assistant", ""),
                new ChatMessage("developer", "dev"),
                new ChatMessage("tool", "42"),
            ],
            request.Messages!);
        Assert.Equal(0.25f, request.Sampling.Temperature);
        Assert.Equal(0.5f, request.Sampling.TopP);
        Assert.Equal(40, request.Sampling.TopK);
        Assert.Equal(1234u, request.Sampling.Seed);
        Assert.Equal(100, request.Sampling.MaxTokens);
        Assert.Equal(["\n\n", "END"], request.Sampling.Stop);
        Assert.True(request.Stream);
        Assert.True(request.IncludeUsage);
    }

    [Fact]
    public void ParseChat_OnlyMessages_UsesDefaults()
    {
        GenerationRequest request = Chat("{" + Messages + "}");

        Assert.Equal("", request.Model);
        Assert.Equal([new ChatMessage("user", "hi")], request.Messages!);
        Assert.Null(request.Prompt);
        Assert.Equal(1.0f, request.Sampling.Temperature);
        Assert.Equal(1.0f, request.Sampling.TopP);
        Assert.Equal(0, request.Sampling.TopK);
        Assert.Null(request.Sampling.Seed);
        Assert.Null(request.Sampling.MaxTokens);
        Assert.Empty(request.Sampling.Stop);
        Assert.False(request.Stream);
        Assert.False(request.IncludeUsage);
    }

    [Fact]
    public void ParseChat_OptionalFieldsNull_UsesDefaults()
    {
        const string body = """
            {"model": null, "messages": [{"role":"user","content":"hi"}], "temperature": null, "top_p": null, "top_k": null,
             "seed": null, "max_tokens": null, "max_completion_tokens": null, "stop": null, "stream": null,
             "stream_options": null, "n": null}
            """;

        GenerationRequest request = Chat(body);

        Assert.Equal("", request.Model);
        Assert.Equal(1.0f, request.Sampling.Temperature);
        Assert.Equal(1.0f, request.Sampling.TopP);
        Assert.Equal(0, request.Sampling.TopK);
        Assert.Null(request.Sampling.Seed);
        Assert.Null(request.Sampling.MaxTokens);
        Assert.Empty(request.Sampling.Stop);
        Assert.False(request.Stream);
        Assert.False(request.IncludeUsage);
    }

    [Theory]
    [InlineData("\"hello\"", "hello")]
    [InlineData("\"\"", "")]
    [InlineData("null", "")]
    [InlineData("[]", "")]
    [InlineData("[{\"type\":\"text\",\"text\":\"a\"}]", "a")]
    [InlineData("[{\"type\":\"text\",\"text\":\"a\"},{\"type\":\"text\",\"text\":\"\"},{\"type\":\"text\",\"text\":\"b c\"}]", "ab c")]
    [InlineData("[{\"text\":\"x\",\"type\":\"text\",\"extra\":1}]", "x")]
    [InlineData("\"h\\u00e9llo \\ud83d\\ude00\\n\"", "héllo 😀\n")]
    public void ParseChat_ContentForms_FlattenToText(string content, string expected)
    {
        GenerationRequest request = Chat("{\"messages\":[{\"role\":\"user\",\"content\":" + content + "}]}");

        Assert.Equal([new ChatMessage("user", expected)], request.Messages!);
    }

    [Fact]
    public void ParseChat_MessageWithoutContent_HasEmptyContent()
    {
        GenerationRequest request = Chat("""{"messages":[{"role":"assistant"}]}""");

        Assert.Equal([new ChatMessage("assistant", "")], request.Messages!);
    }

    [Theory]
    [InlineData("system")]
    [InlineData("developer")]
    [InlineData("user")]
    [InlineData("assistant")]
    [InlineData("tool")]
    public void ParseChat_KnownRole_IsAccepted(string role)
    {
        GenerationRequest request = Chat("{\"messages\":[{\"role\":\"" + role + "\",\"content\":\"x\"}]}");

        Assert.Equal(role, Assert.Single(request.Messages!).Role);
    }

    [Theory]
    [InlineData("0", 0f)]
    [InlineData("0.0", 0f)]
    [InlineData("0.7", 0.7f)]
    [InlineData("1", 1f)]
    [InlineData("2", 2f)]
    [InlineData("2.0", 2f)]
    [InlineData("1e-3", 0.001f)]
    public void ParseChat_TemperatureInRange_IsKept(string json, float expected)
    {
        Assert.Equal(expected, Chat("{" + Messages + ",\"temperature\":" + json + "}").Sampling.Temperature);
    }

    [Theory]
    [InlineData("1", 1f)]
    [InlineData("0.95", 0.95f)]
    [InlineData("1e-6", 1e-6f)]
    public void ParseChat_TopPInRange_IsKept(string json, float expected)
    {
        Assert.Equal(expected, Chat("{" + Messages + ",\"top_p\":" + json + "}").Sampling.TopP);
    }

    [Theory]
    [InlineData("0", 0)]
    [InlineData("1", 1)]
    [InlineData("40", 40)]
    [InlineData("2147483647", int.MaxValue)]
    [InlineData("2147483648", int.MaxValue)]
    [InlineData("9223372036854775807", int.MaxValue)]
    public void ParseChat_TopK_IsKeptAndClampedToInt(string json, int expected)
    {
        Assert.Equal(expected, Chat("{" + Messages + ",\"top_k\":" + json + "}").Sampling.TopK);
    }

    public static TheoryData<string, uint?> SeedCases => new()
    {
        { "null", null },
        { "0", 0u },
        { "42", 42u },
        { "-1", uint.MaxValue },
        { "-2", uint.MaxValue - 1 },
        { "4294967295", uint.MaxValue },
        { "4294967296", 0u },
        { "4294967297", 1u },
        { "-4294967296", 0u },
        { "-2147483648", 2147483648u },
        { "9223372036854775807", uint.MaxValue },
        { "-9223372036854775808", 0u },
    };

    [Theory]
    [MemberData(nameof(SeedCases))]
    public void ParseChat_Seed_WrapsToUInt32(string json, uint? expected)
    {
        Assert.Equal(expected, Chat("{" + Messages + ",\"seed\":" + json + "}").Sampling.Seed);
    }

    public static TheoryData<string, int?> MaxTokensCases => new()
    {
        { "", null },
        { ",\"max_tokens\":10", 10 },
        { ",\"max_tokens\":1", 1 },
        { ",\"max_completion_tokens\":20", 20 },
        { ",\"max_tokens\":10,\"max_completion_tokens\":20", 20 },
        { ",\"max_completion_tokens\":20,\"max_tokens\":10", 20 },
        { ",\"max_completion_tokens\":null,\"max_tokens\":10", 10 },
        { ",\"max_tokens\":2147483647", int.MaxValue },
        { ",\"max_tokens\":3000000000", int.MaxValue },
    };

    [Theory]
    [MemberData(nameof(MaxTokensCases))]
    public void ParseChat_MaxTokens_MaxCompletionTokensWins(string fields, int? expected)
    {
        Assert.Equal(expected, Chat("{" + Messages + fields + "}").Sampling.MaxTokens);
    }

    public static TheoryData<string, string[]> StopCases => new()
    {
        { "\"END\"", ["END"] },
        { "\" \"", [" "] },
        { "[]", [] },
        { "[\"a\"]", ["a"] },
        { "[\"a\",\"\\n\\n\",\"<|im_end|>\"]", ["a", "\n\n", "<|im_end|>"] },
        { "[\"a\",\"a\"]", ["a", "a"] },
        { "[" + string.Join(",", Enumerable.Range(0, 16).Select(i => $"\"s{i}\"")) + "]", Enumerable.Range(0, 16).Select(i => $"s{i}").ToArray() },
    };

    [Theory]
    [MemberData(nameof(StopCases))]
    public void ParseChat_Stop_StringOrArray(string json, string[] expected)
    {
        Assert.Equal(expected, Chat("{" + Messages + ",\"stop\":" + json + "}").Sampling.Stop);
    }

    [Theory]
    [InlineData(",\"stream\":true", true, false)]
    [InlineData(",\"stream\":false", false, false)]
    [InlineData(",\"stream\":true,\"stream_options\":{\"include_usage\":true}", true, true)]
    [InlineData(",\"stream\":true,\"stream_options\":{\"include_usage\":false}", true, false)]
    [InlineData(",\"stream\":true,\"stream_options\":{\"include_usage\":null}", true, false)]
    [InlineData(",\"stream\":true,\"stream_options\":{}", true, false)]
    [InlineData(",\"stream\":true,\"stream_options\":\"include_usage\"", true, false)]
    [InlineData(",\"stream\":true,\"stream_options\":[true]", true, false)]
    [InlineData(",\"stream_options\":{\"include_usage\":true}", false, true)]
    public void ParseChat_StreamAndStreamOptions_AreRead(string fields, bool stream, bool includeUsage)
    {
        GenerationRequest request = Chat("{" + Messages + fields + "}");

        Assert.Equal(stream, request.Stream);
        Assert.Equal(includeUsage, request.IncludeUsage);
    }

    [Theory]
    [InlineData("1")]
    [InlineData("null")]
    public void ParseChat_NIsOne_IsAccepted(string json)
    {
        Assert.Equal("m", Chat("{\"model\":\"m\"," + Messages + ",\"n\":" + json + "}").Model);
    }

    [Fact]
    public void ParseChat_UnknownFields_AreIgnored()
    {
        const string body = """
            {"messages":[{"role":"user","content":"hi","name":"bob","tool_calls":[]}],
             "frequency_penalty": "not validated", "logit_bias": {"1": 2}, "response_format": {"type": "json_object"},
             "tools": [{"type": "function"}], "user": 5, "nested": [[[{"a": null}]]], "model": "m", "prompt": 7}
            """;

        GenerationRequest request = Chat(body);

        Assert.Equal("m", request.Model);
        Assert.Equal([new ChatMessage("user", "hi")], request.Messages!);
        Assert.Null(request.Prompt);
    }

    [Fact]
    public void ParseChat_PropertyNamesAreCaseSensitive_OtherCasingIgnored()
    {
        GenerationRequest request = Chat("{" + Messages + ",\"Temperature\":99,\"MODEL\":5,\"Stream\":\"x\"}");

        Assert.Equal("", request.Model);
        Assert.Equal(1.0f, request.Sampling.Temperature);
        Assert.False(request.Stream);
    }

    [Fact]
    public void ParseChat_WhitespaceAroundBody_IsAccepted()
    {
        Assert.Equal("m", Chat(" \r\n\t{\"model\":\"m\"," + Messages + "}\n ").Model);
    }

    [Fact]
    public void ParseChat_Utf8ByteOrderMark_IsSkipped()
    {
        // Some clients (PowerShell, .NET's Encoding.UTF8 preamble) send a BOM; RFC 8259 lets parsers ignore it.
        byte[] body = [0xEF, 0xBB, 0xBF, .. Utf8("{\"model\":\"m\"," + Messages + "}")];

        ParseResult result = OpenAiRequestParser.ParseChat(body);

        Assert.True(result.IsValid);
        Assert.Equal("m", result.Request.Model);
    }

    [Fact]
    public void ParseChat_NestingAtMaxDepth_IsAccepted()
    {
        // The root object is depth 1, so 63 nested arrays reach exactly MaxDepth (64).
        string body = "{\"extra\":" + new string('[', 63) + new string(']', 63) + "," + Messages + "}";

        Assert.Equal([new ChatMessage("user", "hi")], Chat(body).Messages!);
    }

    // ---- valid completion requests ----

    [Theory]
    [InlineData("\"Once upon\"", "Once upon")]
    [InlineData("\"\"", "")]
    [InlineData("[\"Once upon\"]", "Once upon")]
    [InlineData("[\"\"]", "")]
    public void ParseCompletion_Prompt_IsRead(string json, string expected)
    {
        GenerationRequest request = Completion("{\"model\":\"m\",\"prompt\":" + json + ",\"max_tokens\":5,\"stop\":\"x\"}");

        Assert.False(request.IsChat);
        Assert.Null(request.Messages);
        Assert.Equal(expected, request.Prompt);
        Assert.Equal("m", request.Model);
        Assert.Equal(5, request.Sampling.MaxTokens);
        Assert.Equal(["x"], request.Sampling.Stop);
    }

    [Fact]
    public void ParseCompletion_MessagesPresent_AreIgnored()
    {
        GenerationRequest request = Completion("{\"prompt\":\"p\",\"messages\":42}");

        Assert.Null(request.Messages);
        Assert.Equal("p", request.Prompt);
    }

    [Fact]
    public void ParseCompletion_OnlyPrompt_UsesDefaults()
    {
        GenerationRequest request = Completion("{\"prompt\":\"p\"}");

        Assert.Equal("", request.Model);
        Assert.Equal(1.0f, request.Sampling.Temperature);
        Assert.Equal(1.0f, request.Sampling.TopP);
        Assert.Equal(0, request.Sampling.TopK);
        Assert.Null(request.Sampling.Seed);
        Assert.Null(request.Sampling.MaxTokens);
        Assert.Empty(request.Sampling.Stop);
        Assert.False(request.Stream);
        Assert.False(request.IncludeUsage);
    }

    // ---- invalid requests ----

    public static TheoryData<string, string?, string, string> InvalidChatCases => new()
    {
        // body, param, code, message
        { "", null, "invalid_request", EmptyBodyMessage },
        { "[]", null, "invalid_json", NotObjectMessage },
        { "[{\"messages\":[]}]", null, "invalid_json", NotObjectMessage },
        { "\"text\"", null, "invalid_json", NotObjectMessage },
        { "42", null, "invalid_json", NotObjectMessage },
        { "null", null, "invalid_json", NotObjectMessage },
        { "true", null, "invalid_json", NotObjectMessage },
        { "{}", "messages", "invalid_request", "'messages' is required: a non-empty array of {role, content} objects." },
        { "{\"model\":\"m\"}", "messages", "invalid_request", "'messages' is required: a non-empty array of {role, content} objects." },
        { "{\"messages\":[]}", "messages", "invalid_request", MessagesNotArray },
        { "{\"messages\":null}", "messages", "invalid_request", MessagesNotArray },
        { "{\"messages\":\"hi\"}", "messages", "invalid_request", MessagesNotArray },
        { "{\"messages\":{\"role\":\"user\",\"content\":\"hi\"}}", "messages", "invalid_request", MessagesNotArray },
        { "{\"messages\":[42]}", "messages[0]", "invalid_request", "'messages[0]' must be an object with 'role' and 'content'." },
        { "{\"messages\":[null]}", "messages[0]", "invalid_request", "'messages[0]' must be an object with 'role' and 'content'." },
        { "{\"messages\":[" + User + ",\"hi\"]}", "messages[1]", "invalid_request", "'messages[1]' must be an object with 'role' and 'content'." },
        { "{\"messages\":[{\"content\":\"hi\"}]}", "messages[0].role", "invalid_request", BadRole },
        { "{\"messages\":[{\"role\":null,\"content\":\"hi\"}]}", "messages[0].role", "invalid_request", BadRole },
        { "{\"messages\":[{\"role\":5,\"content\":\"hi\"}]}", "messages[0].role", "invalid_request", BadRole },
        { "{\"messages\":[{\"role\":\"bot\",\"content\":\"hi\"}]}", "messages[0].role", "invalid_request", "'messages[0].role' is 'bot'; expected one of system, developer, user, assistant, tool." },
        { "{\"messages\":[{\"role\":\"User\",\"content\":\"hi\"}]}", "messages[0].role", "invalid_request", "'messages[0].role' is 'User'; expected one of system, developer, user, assistant, tool." },
        { "{\"messages\":[{\"role\":\"\",\"content\":\"hi\"}]}", "messages[0].role", "invalid_request", "'messages[0].role' is ''; expected one of system, developer, user, assistant, tool." },
        { "{\"messages\":[" + User + ",{\"role\":\"function\"}]}", "messages[1].role", "invalid_request", "'messages[1].role' is 'function'; expected one of system, developer, user, assistant, tool." },
        { "{\"messages\":[{\"role\":\"user\",\"content\":42}]}", "messages[0].content", "invalid_request", BadContent },
        { "{\"messages\":[{\"role\":\"user\",\"content\":true}]}", "messages[0].content", "invalid_request", BadContent },
        { "{\"messages\":[{\"role\":\"user\",\"content\":{\"type\":\"text\",\"text\":\"hi\"}}]}", "messages[0].content", "invalid_request", BadContent },
        { "{\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"image_url\",\"image_url\":{\"url\":\"http://x\"}}]}]}", "messages[0].content", "invalid_request", BadParts },
        { "{\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"a\"},{\"type\":\"input_audio\"}]}]}", "messages[0].content", "invalid_request", BadParts },
        { "{\"messages\":[{\"role\":\"user\",\"content\":[\"hi\"]}]}", "messages[0].content", "invalid_request", BadParts },
        { "{\"messages\":[{\"role\":\"user\",\"content\":[null]}]}", "messages[0].content", "invalid_request", BadParts },
        { "{\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"text\"}]}]}", "messages[0].content", "invalid_request", BadParts },
        { "{\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":5}]}]}", "messages[0].content", "invalid_request", BadParts },
        { "{\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":null}]}]}", "messages[0].content", "invalid_request", BadParts },
        { "{\"messages\":[{\"role\":\"user\",\"content\":[{\"text\":\"hi\"}]}]}", "messages[0].content", "invalid_request", BadParts },
        { "{\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"TEXT\",\"text\":\"hi\"}]}]}", "messages[0].content", "invalid_request", BadParts },
        { "{\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":1,\"text\":\"hi\"}]}]}", "messages[0].content", "invalid_request", BadParts },
        { "{" + Messages + ",\"temperature\":-0.1}", "temperature", "invalid_request", "'temperature' is -0.1; it must be between 0 and 2." },
        { "{" + Messages + ",\"temperature\":2.1}", "temperature", "invalid_request", "'temperature' is 2.1; it must be between 0 and 2." },
        { "{" + Messages + ",\"temperature\":100}", "temperature", "invalid_request", "'temperature' is 100; it must be between 0 and 2." },
        { "{" + Messages + ",\"temperature\":\"0.5\"}", "temperature", "invalid_request", "'temperature' must be a number." },
        { "{" + Messages + ",\"temperature\":true}", "temperature", "invalid_request", "'temperature' must be a number." },
        { "{" + Messages + ",\"temperature\":[1]}", "temperature", "invalid_request", "'temperature' must be a number." },
        { "{" + Messages + ",\"top_p\":0}", "top_p", "invalid_request", "'top_p' is 0; it must be greater than 0 and at most 1." },
        { "{" + Messages + ",\"top_p\":-0.5}", "top_p", "invalid_request", "'top_p' is -0.5; it must be greater than 0 and at most 1." },
        { "{" + Messages + ",\"top_p\":1.5}", "top_p", "invalid_request", "'top_p' is 1.5; it must be greater than 0 and at most 1." },
        { "{" + Messages + ",\"top_p\":\"1\"}", "top_p", "invalid_request", "'top_p' must be a number." },
        { "{" + Messages + ",\"top_k\":-1}", "top_k", "invalid_request", "'top_k' is -1; it must be 0 (off) or more." },
        { "{" + Messages + ",\"top_k\":1.5}", "top_k", "invalid_request", "'top_k' must be an integer." },
        { "{" + Messages + ",\"top_k\":\"40\"}", "top_k", "invalid_request", "'top_k' must be an integer." },
        { "{" + Messages + ",\"top_k\":9223372036854775808}", "top_k", "invalid_request", "'top_k' must be an integer." },
        { "{" + Messages + ",\"max_tokens\":0}", "max_tokens", "invalid_request", "'max_tokens' is 0; it must be at least 1." },
        { "{" + Messages + ",\"max_tokens\":-5}", "max_tokens", "invalid_request", "'max_tokens' is -5; it must be at least 1." },
        { "{" + Messages + ",\"max_tokens\":1.5}", "max_tokens", "invalid_request", "'max_tokens' must be an integer." },
        { "{" + Messages + ",\"max_tokens\":1e3}", "max_tokens", "invalid_request", "'max_tokens' must be an integer." },
        { "{" + Messages + ",\"max_tokens\":\"100\"}", "max_tokens", "invalid_request", "'max_tokens' must be an integer." },
        { "{" + Messages + ",\"max_tokens\":true}", "max_tokens", "invalid_request", "'max_tokens' must be an integer." },
        { "{" + Messages + ",\"max_completion_tokens\":\"100\"}", "max_completion_tokens", "invalid_request", "'max_completion_tokens' must be an integer." },
        { "{" + Messages + ",\"seed\":\"42\"}", "seed", "invalid_request", "'seed' must be an integer." },
        { "{" + Messages + ",\"seed\":1.5}", "seed", "invalid_request", "'seed' must be an integer." },
        { "{" + Messages + ",\"seed\":9223372036854775808}", "seed", "invalid_request", "'seed' must be an integer." },
        { "{" + Messages + ",\"stop\":\"\"}", "stop", "invalid_request", "'stop' strings must not be empty." },
        { "{" + Messages + ",\"stop\":[\"a\",\"\"]}", "stop", "invalid_request", "'stop' strings must not be empty." },
        { "{" + Messages + ",\"stop\":[" + string.Join(",", Enumerable.Range(0, 17).Select(i => $"\"s{i}\"")) + "]}", "stop", "invalid_request", "'stop' has 17 strings; at most 16 are allowed." },
        { "{" + Messages + ",\"stop\":[" + string.Join(",", Enumerable.Repeat("\"\"", 20)) + "]}", "stop", "invalid_request", "'stop' has 20 strings; at most 16 are allowed." },
        { "{" + Messages + ",\"stop\":[1]}", "stop", "invalid_request", BadStop },
        { "{" + Messages + ",\"stop\":[\"a\",null]}", "stop", "invalid_request", BadStop },
        { "{" + Messages + ",\"stop\":[[\"a\"]]}", "stop", "invalid_request", BadStop },
        { "{" + Messages + ",\"stop\":5}", "stop", "invalid_request", BadStop },
        { "{" + Messages + ",\"stop\":true}", "stop", "invalid_request", BadStop },
        { "{" + Messages + ",\"stop\":{\"a\":\"b\"}}", "stop", "invalid_request", BadStop },
        { "{" + Messages + ",\"n\":2}", "n", "invalid_request", "Only n=1 is supported." },
        { "{" + Messages + ",\"n\":0}", "n", "invalid_request", "Only n=1 is supported." },
        { "{" + Messages + ",\"n\":-1}", "n", "invalid_request", "Only n=1 is supported." },
        { "{" + Messages + ",\"n\":\"1\"}", "n", "invalid_request", "'n' must be an integer." },
        { "{" + Messages + ",\"n\":1.5}", "n", "invalid_request", "'n' must be an integer." },
        { "{" + Messages + ",\"model\":5}", "model", "invalid_request", "'model' must be a string." },
        { "{" + Messages + ",\"model\":true}", "model", "invalid_request", "'model' must be a string." },
        { "{" + Messages + ",\"model\":[\"m\"]}", "model", "invalid_request", "'model' must be a string." },
        { "{" + Messages + ",\"model\":{\"name\":\"m\"}}", "model", "invalid_request", "'model' must be a string." },
        { "{" + Messages + ",\"stream\":\"yes\"}", "stream", "invalid_request", "'stream' must be true or false." },
        { "{" + Messages + ",\"stream\":1}", "stream", "invalid_request", "'stream' must be true or false." },
        { "{" + Messages + ",\"stream\":\"true\"}", "stream", "invalid_request", "'stream' must be true or false." },
        { "{" + Messages + ",\"stream_options\":{\"include_usage\":\"yes\"}}", "stream_options.include_usage", "invalid_request", "'stream_options.include_usage' must be true or false." },
        { "{" + Messages + ",\"stream_options\":{\"include_usage\":1}}", "stream_options.include_usage", "invalid_request", "'stream_options.include_usage' must be true or false." },
    };

    [Theory]
    [MemberData(nameof(InvalidChatCases))]
    public void ParseChat_InvalidRequest_Returns400WithParamAndCode(string body, string? param, string code, string message)
    {
        OpenAiError error = ChatError(body);

        Assert.Equal(message, error.Message);
        Assert.Equal(code, error.Code);
        Assert.Equal(param, error.Param);
    }

    public static TheoryData<string, string?, string, string> InvalidCompletionCases => new()
    {
        { "", null, "invalid_request", EmptyBodyMessage },
        { "[\"prompt\"]", null, "invalid_json", NotObjectMessage },
        { "\"prompt\"", null, "invalid_json", NotObjectMessage },
        { "{}", "prompt", "invalid_request", "'prompt' is required: a string." },
        { "{\"messages\":[" + User + "]}", "prompt", "invalid_request", "'prompt' is required: a string." },
        { "{\"prompt\":null}", "prompt", "invalid_request", BadPrompt },
        { "{\"prompt\":5}", "prompt", "invalid_request", BadPrompt },
        { "{\"prompt\":true}", "prompt", "invalid_request", BadPrompt },
        { "{\"prompt\":{\"text\":\"a\"}}", "prompt", "invalid_request", BadPrompt },
        { "{\"prompt\":[]}", "prompt", "invalid_request", BadPrompt },
        { "{\"prompt\":[\"a\",\"b\"]}", "prompt", "invalid_request", BadPrompt },
        { "{\"prompt\":[5]}", "prompt", "invalid_request", BadPrompt },
        { "{\"prompt\":[[\"a\"]]}", "prompt", "invalid_request", BadPrompt },
        { "{\"prompt\":[1,2,3]}", "prompt", "invalid_request", BadPrompt },
        { "{\"prompt\":\"p\",\"model\":1}", "model", "invalid_request", "'model' must be a string." },
        { "{\"prompt\":\"p\",\"temperature\":3}", "temperature", "invalid_request", "'temperature' is 3; it must be between 0 and 2." },
        { "{\"prompt\":\"p\",\"max_tokens\":0}", "max_tokens", "invalid_request", "'max_tokens' is 0; it must be at least 1." },
        { "{\"prompt\":\"p\",\"stop\":[\"\"]}", "stop", "invalid_request", "'stop' strings must not be empty." },
        { "{\"prompt\":\"p\",\"n\":3}", "n", "invalid_request", "Only n=1 is supported." },
        { "{\"prompt\":\"p\",\"stream\":\"no\"}", "stream", "invalid_request", "'stream' must be true or false." },
    };

    [Theory]
    [MemberData(nameof(InvalidCompletionCases))]
    public void ParseCompletion_InvalidRequest_Returns400WithParamAndCode(string body, string? param, string code, string message)
    {
        OpenAiError error = CompletionError(body);

        Assert.Equal(message, error.Message);
        Assert.Equal(code, error.Code);
        Assert.Equal(param, error.Param);
    }

    [Theory]
    [InlineData("{", 1, 2)]
    [InlineData("{\"model\": }", 1, 11)]
    [InlineData("{\"model\":\"m\",}", 1, 14)]
    [InlineData("{'model':'m'}", 1, 2)]
    [InlineData("{\"messages\":[", 1, 14)]
    [InlineData("{\n  \"model\": \"m\",\n  \"messages\": x\n}", 3, 15)]
    [InlineData("{\r\n\"a\":\r\n\r\n  nul }", 4, 6)]
    public void ParseChat_InvalidJson_ReportsLineAndByte(string body, int line, int bytePosition)
    {
        OpenAiError error = ChatError(body);

        Assert.Equal($"The request body is not valid JSON (line {line}, byte {bytePosition}).", error.Message);
        Assert.Equal("invalid_json", error.Code);
        Assert.Null(error.Param);
    }

    [Theory]
    [InlineData(" ")]
    [InlineData("\r\n\t ")]
    [InlineData("}")]
    [InlineData("{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]")]
    [InlineData("{\"messages\":\"unterminated}")]
    [InlineData("{\"a\":\"\\x\"}")]
    [InlineData("{\"a\":\"tab\there\"}")]
    [InlineData("{\"a\":01}")]
    [InlineData("{\"a\":NaN}")]
    [InlineData("{\"a\":1 /* comment */}")]
    public void ParseChat_MalformedJson_ReturnsInvalidJson(string body)
    {
        OpenAiError error = ChatError(body);

        Assert.StartsWith("The request body is not valid JSON (line ", error.Message, StringComparison.Ordinal);
        Assert.Equal("invalid_json", error.Code);
        Assert.Null(error.Param);
    }

    [Theory]
    [InlineData("{" + Messages + "} x")]
    [InlineData("{" + Messages + "}{}")]
    [InlineData("{" + Messages + "},")]
    [InlineData("{" + Messages + "} // comment")]
    public void ParseChat_TrailingContentAfterObject_ReturnsInvalidJson(string body)
    {
        OpenAiError error = ChatError(body);

        Assert.StartsWith("The request body is not valid JSON (line 1, byte ", error.Message, StringComparison.Ordinal);
        Assert.Equal("invalid_json", error.Code);
    }

    [Theory]
    [InlineData(64)]
    [InlineData(65)]
    [InlineData(1_000)]
    [InlineData(100_000)]
    public void ParseChat_NestedBeyondMaxDepth_ReturnsInvalidJsonWithoutThrowing(int arrays)
    {
        string body = "{\"extra\":" + new string('[', arrays) + new string(']', arrays) + "," + Messages + "}";

        OpenAiError error = ChatError(body);

        Assert.Equal("The request body is not valid JSON (line 1, byte " + (10 + 63) + ").", error.Message);
        Assert.Equal("invalid_json", error.Code);
    }

    [Fact]
    public void ParseChat_DeeplyNestedObjectsAsRoot_ReturnsInvalidJson()
    {
        var body = new StringBuilder();
        for (var i = 0; i < 10_000; i++)
        {
            body.Append("{\"a\":");
        }

        OpenAiError error = ChatError(body.ToString());

        Assert.Equal("invalid_json", error.Code);
        Assert.StartsWith("The request body is not valid JSON (line 1, byte ", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("\"temperature\":1e400", "temperature", "'temperature' is Infinity; it must be between 0 and 2.")]
    [InlineData("\"temperature\":-1e400", "temperature", "'temperature' is -Infinity; it must be between 0 and 2.")]
    [InlineData("\"top_p\":1e400", "top_p", "'top_p' is Infinity; it must be greater than 0 and at most 1.")]
    [InlineData("\"top_p\":1e-400", "top_p", "'top_p' is 0; it must be greater than 0 and at most 1.")]
    public void ParseChat_NumberOutsideDoubleRange_Returns400(string field, string param, string message)
    {
        OpenAiError error = ChatError("{" + Messages + "," + field + "}");

        Assert.Equal(message, error.Message);
        Assert.Equal(param, error.Param);
        Assert.Equal("invalid_request", error.Code);
    }

    [Fact]
    public void ParseChat_MaxCompletionTokensZero_NamesMaxCompletionTokens()
    {
        OpenAiError error = ChatError("{" + Messages + ",\"max_completion_tokens\":0}");

        Assert.Equal("'max_completion_tokens' is 0; it must be at least 1.", error.Message);
        Assert.Equal("max_completion_tokens", error.Param);
    }

    [Theory]
    [InlineData("{\"model\":\"\\ud800\"," + Messages + "}", "model")]
    [InlineData("{\"messages\":[{\"role\":\"user\",\"content\":\"\\udc00\"}]}", "messages[0].content")]
    [InlineData("{" + Messages + ",\"stop\":\"\\ud800x\"}", "stop")]
    public void ParseChat_LoneSurrogateEscape_Returns400(string body, string param)
    {
        OpenAiError error = ChatError(body);

        Assert.Equal(param, error.Param);
    }

    [Theory]
    [InlineData("model")]
    [InlineData("content")]
    [InlineData("role")]
    public void ParseChat_InvalidUtf8InString_Returns400(string where)
    {
        byte[] bad = [0xC3, 0x28];
        byte[] body = where switch
        {
            "model" => [.. Utf8("{\"model\":\""), .. bad, .. Utf8("\"," + Messages + "}")],
            "content" => [.. Utf8("{\"messages\":[{\"role\":\"user\",\"content\":\""), .. bad, .. Utf8("\"}]}")],
            _ => [.. Utf8("{\"messages\":[{\"role\":\""), .. bad, .. Utf8("\",\"content\":\"x\"}]}")],
        };

        ParseResult result = OpenAiRequestParser.ParseChat(body);

        Assert.False(result.IsValid);
        Assert.Equal(400, result.Error.StatusCode);
    }

    // ---- TryParseObject and ReadModel ----

    [Fact]
    public void TryParseObject_Object_ReturnsDocument()
    {
        Assert.True(OpenAiRequestParser.TryParseObject("{\"a\":[1,2]}"u8, out JsonDocument document, out OpenAiError error));

        using (document)
        {
            Assert.Null(error);
            Assert.Equal(JsonValueKind.Object, document.RootElement.ValueKind);
            Assert.Equal(2, document.RootElement.GetProperty("a").GetArrayLength());
        }
    }

    [Theory]
    [InlineData("", "invalid_request", EmptyBodyMessage)]
    [InlineData("[1]", "invalid_json", NotObjectMessage)]
    [InlineData("1", "invalid_json", NotObjectMessage)]
    [InlineData("{", "invalid_json", "The request body is not valid JSON (line 1, byte 2).")]
    public void TryParseObject_NotAnObject_ReturnsFalseWithError(string body, string code, string message)
    {
        Assert.False(OpenAiRequestParser.TryParseObject(Utf8(body), out _, out OpenAiError error));

        Assert.Equal(400, error.StatusCode);
        Assert.Equal(code, error.Code);
        Assert.Equal(message, error.Message);
        Assert.Null(error.Param);
    }

    [Theory]
    [InlineData("{}", null)]
    [InlineData("{\"model\":null}", null)]
    [InlineData("{\"model\":\"\"}", "")]
    [InlineData("{\"model\":\"Qwen3-8B\"}", "Qwen3-8B")]
    [InlineData("{\"Model\":\"x\"}", null)]
    public void ReadModel_AbsentNullOrString_ReturnsValue(string json, string? expected)
    {
        using JsonDocument document = JsonDocument.Parse(json);

        Assert.Equal(expected, OpenAiRequestParser.ReadModel(document.RootElement));
    }

    [Theory]
    [InlineData("{\"model\":1}")]
    [InlineData("{\"model\":false}")]
    [InlineData("{\"model\":[]}")]
    [InlineData("{\"model\":{}}")]
    public void ReadModel_NotString_ThrowsOpenAiExceptionForModel(string json)
    {
        using JsonDocument document = JsonDocument.Parse(json);

        OpenAiException exception = Assert.Throws<OpenAiException>(() => OpenAiRequestParser.ReadModel(document.RootElement));

        Assert.Equal(400, exception.Error.StatusCode);
        Assert.Equal("model", exception.Error.Param);
        Assert.Equal("invalid_request", exception.Error.Code);
        Assert.Equal("'model' must be a string.", exception.Message);
    }

    // ---- robustness ----

    private static readonly byte[] s_validChat = Utf8("""
        {"model":"m","messages":[{"role":"system","content":"s"},{"role":"user","content":[{"type":"text","text":"hi"}]}],
         "temperature":0.5,"top_p":0.9,"top_k":4,"seed":-7,"max_tokens":12,"max_completion_tokens":13,"stop":["a","bc"],
         "stream":true,"stream_options":{"include_usage":true},"n":1,"prompt":["p"]}
        """);

    private static readonly byte[] s_interesting = Utf8("{}[]\":,\\-+.0123456789eEtruefalsn \u00e9");

    [Fact]
    public void Parse_RandomBytes_NeverThrows()
    {
        var random = new Random(20240601);
        var failures = new List<string>();
        for (var i = 0; i < 3_000; i++)
        {
            var bytes = new byte[random.Next(0, 48)];
            for (var j = 0; j < bytes.Length; j++)
            {
                bytes[j] = random.Next(3) == 0 ? (byte)random.Next(256) : s_interesting[random.Next(s_interesting.Length)];
            }

            CheckNeverThrows(bytes, failures);
        }

        Assert.True(failures.Count == 0, $"{failures.Count} inputs threw, e.g.:\n{string.Join("\n", failures.Take(5))}");
    }

    [Fact]
    public void Parse_RandomAsciiMutationsOfValidBody_NeverThrow()
    {
        // ASCII-only edits: the full-byte variant below is skipped for the invalid UTF-8 bug.
        MutateValidBody(seed: 7, count: 4_000, asciiOnly: true);
    }

    [Fact]
    public void Parse_RandomMutationsOfValidBody_NeverThrow()
    {
        MutateValidBody(seed: 7, count: 4_000, asciiOnly: false);
    }

    private static void MutateValidBody(int seed, int count, bool asciiOnly)
    {
        var random = new Random(seed);
        var failures = new List<string>();
        for (var i = 0; i < count; i++)
        {
            List<byte> bytes = [.. s_validChat];
            int edits = 1 + random.Next(4);
            for (var e = 0; e < edits && bytes.Count > 0; e++)
            {
                int at = random.Next(bytes.Count);
                byte value = random.Next(4) == 0 ? (byte)random.Next(asciiOnly ? 128 : 256) : s_interesting[random.Next(s_interesting.Length - (asciiOnly ? 2 : 0))];
                switch (random.Next(5))
                {
                    case 0: bytes[at] = value; break;
                    case 1: bytes.Insert(at, value); break;
                    case 2: bytes.RemoveAt(at); break;
                    case 3: bytes.RemoveRange(at, bytes.Count - at); break;
                    default:
                        int length = Math.Min(random.Next(1, 16), bytes.Count - at);
                        bytes.InsertRange(random.Next(bytes.Count), bytes.GetRange(at, length));
                        break;
                }
            }

            CheckNeverThrows([.. bytes], failures);
        }

        Assert.True(failures.Count == 0, $"{failures.Count} inputs threw, e.g.:\n{string.Join("\n", failures.Take(5))}");
    }

    private static void CheckNeverThrows(byte[] bytes, List<string> failures)
    {
        foreach (bool chat in (bool[])[true, false])
        {
            try
            {
                ParseResult result = chat ? OpenAiRequestParser.ParseChat(bytes) : OpenAiRequestParser.ParseCompletion(bytes);
                if (result.IsValid)
                {
                    Assert.Null(result.Error);
                    Assert.Equal(chat, result.Request.IsChat);
                }
                else
                {
                    Assert.Null(result.Request);
                    Assert.Equal(400, result.Error.StatusCode);
                    Assert.Equal("invalid_request_error", result.Error.Type);
                    Assert.Contains(result.Error.Code, (string[])["invalid_request", "invalid_json"]);
                    Assert.False(string.IsNullOrEmpty(result.Error.Message));
                }
            }
            catch (Exception e) when (e is not Xunit.Sdk.XunitException)
            {
                failures.Add($"{(chat ? "chat" : "completion")} {e.GetType().Name}: {e.Message} <- {Convert.ToHexString(bytes)} ({Encoding.UTF8.GetString(bytes)})");
            }
        }
    }
}
