using System.Text;
using OpenAI.Chat;

namespace MeshLlm.EndToEnd;

/// <summary>Chat through :9337 with the official OpenAI SDK against the real executable and embedded engine.</summary>
public sealed class ChatTests(ServerFixture server) : IClassFixture<ServerFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static ChatCompletionOptions Greedy(int maxTokens) =>
        new() { Temperature = 0, MaxOutputTokenCount = maxTokens };

    [Fact]
    public async Task ListModels_ReturnsServedModel()
    {
        var models = await server.OpenAi().GetOpenAIModelClient().GetModelsAsync(Ct);

        Assert.Equal([ServerFixture.Model], models.Value.Select(m => m.Id));
        Assert.Equal("mesh-llm", models.Value[0].OwnedBy);
    }

    [Fact]
    public async Task Engine_ComputeThreads_TakeTheLongSchedulerSlice()
    {
        // After a decode, llama.cpp's OpenMP workers exist; they carry the worker thread's name and its slice.
        await server.Chat().CompleteChatAsync([new UserChatMessage("Hello")], Greedy(2), Ct);

        var compute = Directory.GetDirectories($"/proc/{server.Process.Pid}/task")
            .Select(task => (Tid: int.Parse(Path.GetFileName(task)), Name: File.ReadAllText(Path.Combine(task, "comm")).Trim()))
            .Where(t => t.Name == "inference-worke") // comm is cut to 15 characters
            .ToList();

        Assert.NotEmpty(compute);
        if (Environment.OSVersion.Version >= new Version(6, 12))
        {
            Assert.All(compute, t => Assert.Equal(Inference.SchedulerSlice.Compute, Inference.SchedulerSlice.Get(t.Tid)));
        }
    }

    [Fact]
    public async Task Chat_NonStreaming_ReturnsTextUsageAndLengthFinish()
    {
        var completion = (await server.Chat().CompleteChatAsync([new UserChatMessage("Hello there")], Greedy(12), Ct)).Value;

        Assert.Equal(ChatFinishReason.Length, completion.FinishReason);
        Assert.Equal(ChatMessageRole.Assistant, completion.Role);
        Assert.False(string.IsNullOrEmpty(completion.Content[0].Text));
        Assert.Equal(12, completion.Usage.OutputTokenCount);
        Assert.True(completion.Usage.InputTokenCount > 3, $"prompt tokens {completion.Usage.InputTokenCount}");
        Assert.Equal(completion.Usage.InputTokenCount + 12, completion.Usage.TotalTokenCount);
        Assert.Equal(ServerFixture.Model, completion.Model);
    }

    [Fact]
    public async Task Chat_Streaming_MatchesNonStreamingGreedyText()
    {
        var messages = new ChatMessage[] { new SystemChatMessage("You are terse."), new UserChatMessage("Count to five") };
        var whole = (await server.Chat().CompleteChatAsync(messages, Greedy(24), Ct)).Value.Content[0].Text;

        var streamed = new StringBuilder();
        ChatFinishReason? finish = null;
        ChatTokenUsage? usage = null;
        var options = Greedy(24);
        await foreach (var update in server.Chat().CompleteChatStreamingAsync(messages, options, Ct))
        {
            foreach (var part in update.ContentUpdate)
            {
                streamed.Append(part.Text);
            }

            finish ??= update.FinishReason;
            usage ??= update.Usage;
        }

        Assert.Equal(whole, streamed.ToString());
        Assert.Equal(ChatFinishReason.Length, finish);
        Assert.Equal(24, usage?.OutputTokenCount);
    }

    [Fact]
    public async Task Chat_GreedyTwice_SameText()
    {
        var first = await TextAsync("Tell me a story", Greedy(40));
        var second = await TextAsync("Tell me a story", Greedy(40));

        Assert.Equal(first, second);
    }

    [Fact]
    public async Task Chat_SameSeed_SameText_OtherSeed_OtherText()
    {
        ChatCompletionOptions Seeded(long seed) => new() { Temperature = 1.0f, Seed = seed, MaxOutputTokenCount = 40 };

        var first = await TextAsync("Say something random", Seeded(42));
        var again = await TextAsync("Say something random", Seeded(42));
        var other = await TextAsync("Say something random", Seeded(7));

        Assert.Equal(first, again);
        Assert.NotEqual(first, other);
    }

    [Fact]
    public async Task Chat_StopSequence_EndsBeforeItWithStopFinish()
    {
        var full = await TextAsync("Write a line", Greedy(40));
        var stop = full.Substring(10, 2);
        var expected = full[..full.IndexOf(stop, StringComparison.Ordinal)];
        var options = Greedy(40);
        options.StopSequences.Add(stop);

        var completion = (await server.Chat().CompleteChatAsync([new UserChatMessage("Write a line")], options, Ct)).Value;

        Assert.Equal(expected, completion.Content[0].Text);
        Assert.Equal(ChatFinishReason.Stop, completion.FinishReason);
    }

    [Fact]
    public async Task Chat_StopSequence_Streaming_NeverLeaksStopText()
    {
        var full = await TextAsync("Write a line", Greedy(40));
        var stop = full.Substring(15, 3);
        var options = Greedy(40);
        options.StopSequences.Add(stop);
        var streamed = new StringBuilder();
        ChatFinishReason? finish = null;

        await foreach (var update in server.Chat().CompleteChatStreamingAsync([new UserChatMessage("Write a line")], options, Ct))
        {
            streamed.Append(string.Concat(update.ContentUpdate.Select(p => p.Text)));
            finish ??= update.FinishReason;
        }

        Assert.Equal(full[..full.IndexOf(stop, StringComparison.Ordinal)], streamed.ToString());
        Assert.Equal(ChatFinishReason.Stop, finish);
    }

    [Fact]
    public async Task Chat_EightConcurrentStreams_EachMatchesItsSoloRun()
    {
        string[] prompts =
        [
            "What is the capital of France?", "Write a haiku about rain", "List three prime numbers",
            "Explain TCP in one line", "zzzz qqqq xxxx", "1234567890", "Bonjour, comment ça va ?", "Why is the sky blue?",
        ];
        var solo = new List<string>();
        foreach (var prompt in prompts)
        {
            solo.Add(await TextAsync(prompt, Greedy(32)));
        }

        var concurrent = await Task.WhenAll(prompts.Select(StreamAsync));

        Assert.Equal(solo, concurrent);
        Assert.Equal(8, solo.Distinct().Count());
    }

    private async Task<string> StreamAsync(string prompt)
    {
        var text = new StringBuilder();
        await foreach (var update in server.Chat().CompleteChatStreamingAsync([new UserChatMessage(prompt)], Greedy(32), Ct))
        {
            text.Append(string.Concat(update.ContentUpdate.Select(p => p.Text)));
        }

        return text.ToString();
    }

    private async Task<string> TextAsync(string prompt, ChatCompletionOptions options) =>
        (await server.Chat().CompleteChatAsync([new UserChatMessage(prompt)], options, Ct)).Value.Content[0].Text;
}
