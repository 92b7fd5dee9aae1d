using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using OpenAI.Chat;

namespace MeshLlm.EndToEnd.LlamaCpp;

/// <summary>The llama.cpp backend (real llama-server from the rig) through :9337 with the OpenAI SDK.</summary>
public sealed class LlamaCppServingTests(LlamaCppNodeFixture fixture) : IClassFixture<LlamaCppNodeFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static ChatCompletionOptions Greedy(int maxTokens) => new() { Temperature = 0, MaxOutputTokenCount = maxTokens };

    [Fact]
    public async Task ListModels_ReturnsModelServedByLlamaCpp()
    {
        var node = await fixture.StartAsync();
        var models = await node.OpenAi().GetOpenAIModelClient().GetModelsAsync(Ct);

        Assert.Equal(["tiny"], models.Value.Select(m => m.Id));
        using var http = new HttpClient();
        var raw = JsonDocument.Parse(await http.GetStringAsync(new Uri(node.Api, "v1/models"), Ct)).RootElement;
        Assert.Equal("llamacpp", raw.GetProperty("data")[0].GetProperty("mesh").GetProperty("backend").GetString());
    }

    [Fact]
    public async Task Chat_NonStreaming_ReturnsTextUsageAndLength()
    {
        var node = await fixture.StartAsync();
        var completion = (await node.OpenAi().GetChatClient("tiny").CompleteChatAsync([new UserChatMessage("Hello")], Greedy(10), Ct)).Value;

        Assert.Equal(ChatFinishReason.Length, completion.FinishReason);
        Assert.Equal(10, completion.Usage.OutputTokenCount);
        Assert.False(string.IsNullOrEmpty(completion.Content[0].Text));
    }

    [Fact]
    public async Task Chat_Streaming_MatchesNonStreaming()
    {
        var node = await fixture.StartAsync();
        var chat = node.OpenAi().GetChatClient("tiny");
        var whole = (await chat.CompleteChatAsync([new UserChatMessage("Stream me")], Greedy(16), Ct)).Value.Content[0].Text;

        var streamed = new StringBuilder();
        await foreach (var update in chat.CompleteChatStreamingAsync([new UserChatMessage("Stream me")], Greedy(16), Ct))
        {
            streamed.Append(string.Concat(update.ContentUpdate.Select(p => p.Text)));
        }

        Assert.Equal(whole, streamed.ToString());
    }

    [Fact]
    public async Task PromptLargerThanContext_SameOpenAiErrorAsEmbedded()
    {
        var node = await fixture.StartAsync();
        var prompt = string.Join(' ', Enumerable.Range(0, 6000).Select(i => $"w{i}"));
        using var http = new HttpClient();
        using var response = await http.PostAsJsonAsync(new Uri(node.Api, "v1/chat/completions"),
            new { model = "tiny", messages = new[] { new { role = "user", content = prompt } } }, Ct);

        var error = await CompletionsAndErrorTests.AssertErrorAsync(response, HttpStatusCode.BadRequest, "context_length_exceeded");
        Assert.Equal("invalid_request_error", error.GetProperty("type").GetString());
    }

    [Fact]
    public async Task InvalidRequest_ValidatedByTheProxy_SameErrorAsEmbedded()
    {
        var node = await fixture.StartAsync();
        using var http = new HttpClient();
        using var response = await http.PostAsJsonAsync(new Uri(node.Api, "v1/chat/completions"), new { model = "tiny", messages = 5 }, Ct);

        var error = await CompletionsAndErrorTests.AssertErrorAsync(response, HttpStatusCode.BadRequest, "invalid_request");
        Assert.Equal("messages", error.GetProperty("param").GetString());
    }

    [Fact]
    public async Task Completion_ReturnsText()
    {
        var node = await fixture.StartAsync();
        using var http = new HttpClient();
        using var response = await http.PostAsJsonAsync(new Uri(node.Api, "v1/completions"),
            new { model = "tiny", prompt = "Once upon a time", max_tokens = 8, temperature = 0 }, Ct);
        var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct)).RootElement;

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.False(string.IsNullOrEmpty(json.GetProperty("choices")[0].GetProperty("text").GetString()));
        Assert.Equal(8, json.GetProperty("usage").GetProperty("completion_tokens").GetInt32());
    }
}
