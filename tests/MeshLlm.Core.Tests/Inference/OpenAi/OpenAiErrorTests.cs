using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace MeshLlm.Inference.OpenAi;

public sealed class OpenAiErrorTests
{
    private static string Json(OpenAiError error, JsonWriterOptions options)
    {
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream, options))
        {
            error.WriteJson(writer);
        }

        return Encoding.UTF8.GetString(stream.ToArray());
    }

    public static TheoryData<string, string> WriteJsonCases => new()
    {
        { "invalid request with param", """{"error":{"message":"'top_p' is 0.","type":"invalid_request_error","param":"top_p","code":"invalid_request"}}""" },
        { "invalid request without param", """{"error":{"message":"empty","type":"invalid_request_error","param":null,"code":"invalid_json"}}""" },
        { "no code", """{"error":{"message":"m","type":"server_error","param":null,"code":null}}""" },
        { "model not found", """{"error":{"message":"The model 'x' does not exist. Available models: a, b.","type":"invalid_request_error","param":"model","code":"model_not_found"}}""" },
        { "loading", """{"error":{"message":"The model 'q' is loading. Retry in a few seconds.","type":"server_error","param":null,"code":"model_loading"}}""" },
        { "unknown url", """{"error":{"message":"Unknown endpoint '/v2/x'.","type":"invalid_request_error","param":null,"code":"unknown_url"}}""" },
        { "escaping", """{"error":{"message":"say \"hi\" <b>é\\ \n","type":"t","param":"p","code":"c"}}""" },
    };

    private static readonly Dictionary<string, OpenAiError> s_errors = new()
    {
        ["invalid request with param"] = OpenAiError.InvalidRequest("'top_p' is 0.", "top_p"),
        ["invalid request without param"] = OpenAiError.InvalidRequest("empty", code: "invalid_json"),
        ["no code"] = new OpenAiError(500, "m", "server_error", null),
        ["model not found"] = OpenAiError.ModelNotFound("x", ["a", "b"]),
        ["loading"] = OpenAiError.Loading("q", 5),
        ["unknown url"] = OpenAiError.NotFound("/v2/x"),
        ["escaping"] = new OpenAiError(400, "say \"hi\" <b>é\\ \n", "t", "c", "p"),
    };

    [Theory]
    [MemberData(nameof(WriteJsonCases))]
    public void WriteJson_Error_WritesExactEnvelope(string name, string expected)
    {
        Assert.Equal(expected, Json(s_errors[name], JsonOutput.Options));
    }

    [Fact]
    public void WriteJson_DefaultEncoder_EscapesNonAsciiAndHtml()
    {
        var error = new OpenAiError(400, "<é>", "t", "c");

        Assert.Equal("""{"error":{"message":"\u003C\u00E9\u003E","type":"t","param":null,"code":"c"}}""", Json(error, default));
    }

    [Fact]
    public void WriteJson_RoundTrips_ThroughJsonDocument()
    {
        OpenAiError error = OpenAiError.ContextOverflow(5000, 4096);

        using JsonDocument document = JsonDocument.Parse(Json(error, JsonOutput.Options));
        JsonElement body = document.RootElement.GetProperty("error");

        Assert.Equal(["message", "type", "param", "code"], body.EnumerateObject().Select(p => p.Name));
        Assert.Equal(error.Message, body.GetProperty("message").GetString());
        Assert.Equal("invalid_request_error", body.GetProperty("type").GetString());
        Assert.Equal("messages", body.GetProperty("param").GetString());
        Assert.Equal("context_length_exceeded", body.GetProperty("code").GetString());
        Assert.Single(document.RootElement.EnumerateObject());
    }

    [Fact]
    public async Task WriteAsync_WithRetryAfter_SetsStatusContentTypeHeaderAndBody()
    {
        var context = new DefaultHttpContext();
        using var body = new MemoryStream();
        context.Response.Body = body;

        await OpenAiError.Loading("qwen", 7).WriteAsync(context.Response, TestContext.Current.CancellationToken);

        Assert.Equal(503, context.Response.StatusCode);
        Assert.Equal("application/json", context.Response.ContentType);
        Assert.Equal("7", context.Response.Headers.RetryAfter.ToString());
        Assert.Equal(
            """{"error":{"message":"The model 'qwen' is loading. Retry in a few seconds.","type":"server_error","param":null,"code":"model_loading"}}""",
            Encoding.UTF8.GetString(body.ToArray()));
    }

    [Fact]
    public async Task WriteAsync_WithoutRetryAfter_OmitsHeader()
    {
        var context = new DefaultHttpContext();
        using var body = new MemoryStream();
        context.Response.Body = body;

        await OpenAiError.InvalidRequest("Only n=1 is supported.", "n").WriteAsync(context.Response, TestContext.Current.CancellationToken);

        Assert.Equal(400, context.Response.StatusCode);
        Assert.Equal("application/json", context.Response.ContentType);
        Assert.False(context.Response.Headers.ContainsKey("Retry-After"));
        Assert.Equal(
            """{"error":{"message":"Only n=1 is supported.","type":"invalid_request_error","param":"n","code":"invalid_request"}}""",
            Encoding.UTF8.GetString(body.ToArray()));
    }

    [Fact]
    public async Task WriteAsync_NonAsciiMessage_WritesRawUtf8()
    {
        var context = new DefaultHttpContext();
        using var body = new MemoryStream();
        context.Response.Body = body;

        await OpenAiError.ModelNotFound("模型", []).WriteAsync(context.Response, TestContext.Current.CancellationToken);

        Assert.Equal(404, context.Response.StatusCode);
        Assert.Equal(
            """{"error":{"message":"The model '模型' does not exist: no model is being served yet.","type":"invalid_request_error","param":"model","code":"model_not_found"}}""",
            Encoding.UTF8.GetString(body.ToArray()));
    }

    [Fact]
    public async Task WriteAsync_RetryAfterZero_SendsZero()
    {
        var context = new DefaultHttpContext();
        using var body = new MemoryStream();
        context.Response.Body = body;

        await (new OpenAiError(503, "m", "server_error", "x") { RetryAfterSeconds = 0 }).WriteAsync(context.Response, TestContext.Current.CancellationToken);

        Assert.Equal("0", context.Response.Headers.RetryAfter.ToString());
    }

    [Fact]
    public void InvalidRequest_Defaults_AreBadRequestInvalidRequest()
    {
        OpenAiError error = OpenAiError.InvalidRequest("bad");

        Assert.Equal(new OpenAiError(400, "bad", "invalid_request_error", "invalid_request", null), error);
        Assert.Null(error.RetryAfterSeconds);
    }

    [Theory]
    [InlineData(new string[0], "The model 'x' does not exist: no model is being served yet.")]
    [InlineData(new[] { "a" }, "The model 'x' does not exist. Available models: a.")]
    [InlineData(new[] { "a", "B-7b", "c" }, "The model 'x' does not exist. Available models: a, B-7b, c.")]
    public void ModelNotFound_ListsAvailableModels(string[] available, string message)
    {
        OpenAiError error = OpenAiError.ModelNotFound("x", available);

        Assert.Equal(new OpenAiError(404, message, "invalid_request_error", "model_not_found", "model"), error);
    }

    [Fact]
    public void Loading_CarriesRetryAfter()
    {
        OpenAiError error = OpenAiError.Loading("m", 9);

        Assert.Equal(503, error.StatusCode);
        Assert.Equal("server_error", error.Type);
        Assert.Equal("model_loading", error.Code);
        Assert.Null(error.Param);
        Assert.Equal(9, error.RetryAfterSeconds);
        Assert.Equal("The model 'm' is loading. Retry in a few seconds.", error.Message);
    }

    [Fact]
    public void NotFound_IsUnknownUrl404()
    {
        Assert.Equal(new OpenAiError(404, "Unknown endpoint '/v1/nope'.", "invalid_request_error", "unknown_url"), OpenAiError.NotFound("/v1/nope"));
    }

    [Fact]
    public void ContextOverflow_NamesBothSizes()
    {
        OpenAiError error = OpenAiError.ContextOverflow(5000, 4096);

        Assert.Equal(
            new OpenAiError(400,
                "The prompt is 5000 tokens, but this model's context holds 4096 tokens per request. Shorten the prompt or start the node with a larger --ctx-size.",
                "invalid_request_error", "context_length_exceeded", "messages"),
            error);
    }
}
