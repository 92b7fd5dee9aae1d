using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;

namespace MeshLlm.EndToEnd;

/// <summary>
/// <c>/v1/completions</c> (the OpenAI .NET SDK 2.x has no legacy-completions client, so raw HTTP as curl would
/// send it) and the API's error answers.
/// </summary>
public sealed class CompletionsAndErrorTests(ServerFixture server) : IClassFixture<ServerFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Completion_NonStreaming_ReturnsTextAndUsage()
    {
        using var response = await PostAsync("v1/completions", new { model = "tiny", prompt = "Once upon a time", max_tokens = 10, temperature = 0 });
        var json = await ReadJsonAsync(response);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text_completion", json.GetProperty("object").GetString());
        var choice = json.GetProperty("choices")[0];
        Assert.Equal("length", choice.GetProperty("finish_reason").GetString());
        Assert.False(string.IsNullOrEmpty(choice.GetProperty("text").GetString()));
        Assert.Equal(10, json.GetProperty("usage").GetProperty("completion_tokens").GetInt32());
    }

    [Fact]
    public async Task Completion_Streaming_EndsWithDoneAndMatchesNonStreaming()
    {
        var body = new { model = "tiny", prompt = "Once upon a time", max_tokens = 10, temperature = 0 };
        using var whole = await PostAsync("v1/completions", body);
        var expected = (await ReadJsonAsync(whole)).GetProperty("choices")[0].GetProperty("text").GetString();

        using var response = await PostAsync("v1/completions", new { body.model, body.prompt, body.max_tokens, body.temperature, stream = true });
        var events = (await response.Content.ReadAsStringAsync(Ct))
            .Split("\n\n", StringSplitOptions.RemoveEmptyEntries).Select(e => e.Trim()).ToList();

        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("data: [DONE]", events[^1]);
        var chunks = events[..^1].Select(e => JsonDocument.Parse(e["data: ".Length..]).RootElement).ToList();
        Assert.Equal(expected, string.Concat(chunks.Select(c => c.GetProperty("choices")[0].GetProperty("text").GetString())));
        Assert.Equal("length", chunks[^1].GetProperty("choices")[0].GetProperty("finish_reason").GetString());
    }

    [Fact]
    public async Task BadJson_Returns400InvalidJson()
    {
        using var content = new StringContent("{\"model\": \"tiny\", \"messages\": [", Encoding.UTF8, "application/json");
        using var response = await server.Http.PostAsync(new Uri(server.Api, "v1/chat/completions"), content, Ct);

        await AssertErrorAsync(response, HttpStatusCode.BadRequest, "invalid_json");
    }

    [Fact]
    public async Task MissingMessages_Returns400NamingTheField()
    {
        using var response = await PostAsync("v1/chat/completions", new { model = "tiny" });

        var error = await AssertErrorAsync(response, HttpStatusCode.BadRequest, "invalid_request");
        Assert.Contains("'messages' is required", error.GetProperty("message").GetString());
        Assert.Equal("messages", error.GetProperty("param").GetString());
    }

    [Fact]
    public async Task InvalidTemperature_Returns400()
    {
        using var response = await PostAsync("v1/chat/completions",
            new { model = "tiny", temperature = 5, messages = new[] { new { role = "user", content = "hi" } } });

        var error = await AssertErrorAsync(response, HttpStatusCode.BadRequest, "invalid_request");
        Assert.Equal("temperature", error.GetProperty("param").GetString());
    }

    [Fact]
    public async Task UnknownModel_Returns404ListingAvailableModels()
    {
        using var response = await PostAsync("v1/chat/completions",
            new { model = "gpt-9", messages = new[] { new { role = "user", content = "hi" } } });

        var error = await AssertErrorAsync(response, HttpStatusCode.NotFound, "model_not_found");
        Assert.Contains("Available models: tiny", error.GetProperty("message").GetString());
    }

    [Fact]
    public async Task AutoModel_RoutesToTheServedModel()
    {
        using var response = await PostAsync("v1/chat/completions",
            new { model = "auto", max_tokens = 3, messages = new[] { new { role = "user", content = "hi" } } });

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("tiny", (await ReadJsonAsync(response)).GetProperty("model").GetString());
    }

    [Fact]
    public async Task PromptLargerThanContext_Returns400ContextLengthExceeded()
    {
        var prompt = string.Join(' ', Enumerable.Range(0, 6000).Select(i => $"w{i}"));
        using var response = await PostAsync("v1/chat/completions",
            new { model = "tiny", messages = new[] { new { role = "user", content = prompt } } });

        await AssertErrorAsync(response, HttpStatusCode.BadRequest, "context_length_exceeded");
    }

    [Fact]
    public async Task UnknownPath_Returns404OpenAiError()
    {
        using var response = await server.Http.GetAsync(new Uri(server.Api, "v1/nothing-here"), Ct);

        await AssertErrorAsync(response, HttpStatusCode.NotFound, "unknown_url");
    }

    private Task<HttpResponseMessage> PostAsync(string path, object body) =>
        server.Http.PostAsJsonAsync(new Uri(server.Api, path), body, Ct);

    private static async Task<JsonElement> ReadJsonAsync(HttpResponseMessage response) =>
        JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct)).RootElement;

    internal static async Task<JsonElement> AssertErrorAsync(HttpResponseMessage response, HttpStatusCode status, string code)
    {
        var body = await response.Content.ReadAsStringAsync(Ct);
        Assert.True(status == response.StatusCode, $"expected {status}, got {response.StatusCode}: {body}");
        var error = JsonDocument.Parse(body).RootElement.GetProperty("error");
        Assert.Equal(code, error.GetProperty("code").GetString());
        Assert.False(string.IsNullOrEmpty(error.GetProperty("message").GetString()));
        Assert.False(string.IsNullOrEmpty(error.GetProperty("type").GetString()));
        return error;
    }
}
