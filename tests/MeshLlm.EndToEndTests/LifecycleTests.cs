using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json;
using MeshLlm.Testing;

namespace MeshLlm.EndToEnd;

/// <summary>Start-up, loading, cancellation and shutdown of the real process, each with its own node.</summary>
public sealed class LifecycleTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static readonly HttpClient s_http = new() { Timeout = TimeSpan.FromSeconds(60) };

    private static object Chat(string content, int? maxTokens = null, bool stream = false) =>
        new { model = "tiny", stream, max_tokens = maxTokens, messages = new[] { new { role = "user", content } } };

    [Fact]
    public async Task WhileLoading_ApiAnswers503WithRetryAfter_AndShutsDownCleanly()
    {
        await using var node = MeshLlmProcess.Start(["--model", TestModels.Tiny, "--port", "0", "--backend", "embedded"],
            new Dictionary<string, string?> { ["MESHLLM__INFERENCE__STARTUPDELAY"] = "00:05:00" });
        var api = await node.WaitForApiAsync();

        using var response = await s_http.PostAsJsonAsync(new Uri(api, "v1/chat/completions"), Chat("hi"), Ct);
        using var health = await s_http.GetAsync(new Uri(api, "health"), Ct);
        var models = JsonDocument.Parse(await s_http.GetStringAsync(new Uri(api, "v1/models"), Ct)).RootElement;

        await CompletionsAndErrorTests.AssertErrorAsync(response, HttpStatusCode.ServiceUnavailable, "model_loading");
        Assert.Equal("5", response.Headers.RetryAfter?.Delta?.TotalSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, health.StatusCode);
        Assert.Equal(0, models.GetProperty("data").GetArrayLength());

        node.Signal(PosixSignal.SigTerm);
        Assert.Equal(0, await node.WaitForExitAsync(TimeSpan.FromSeconds(20)));
    }

    [Fact]
    public async Task ClientCancelsStream_SlotIsFreed_NextRequestServed()
    {
        await using var node = MeshLlmProcess.Start(["--model", TestModels.Tiny, "--port", "0", "--backend", "embedded", "--parallel", "1", "--ctx-size", "16384"]);
        var api = await node.WaitForApiAsync();
        var engine = await node.WaitForReadyAsync();

        using (var request = new HttpRequestMessage(HttpMethod.Post, new Uri(api, "v1/chat/completions")) { Content = JsonContent.Create(Chat("go on forever", stream: true)) })
        using (var response = await s_http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, Ct))
        {
            await using var stream = await response.Content.ReadAsStreamAsync(Ct);
            using var reader = new StreamReader(stream);
            for (var i = 0; i < 5; i++)
            {
                Assert.NotNull(await reader.ReadLineAsync(Ct));
            }

            Assert.Equal(1, (await EngineHealthAsync(engine)).GetProperty("slots_processing").GetInt32());
        }

        await WaitUntilAsync(async () => (await EngineHealthAsync(engine)).GetProperty("slots_processing").GetInt32() == 0,
            "the cancelled request's slot to be freed");
        using var next = await s_http.PostAsJsonAsync(new Uri(api, "v1/chat/completions"), Chat("hi", maxTokens: 4), Ct);
        Assert.Equal(HttpStatusCode.OK, next.StatusCode);
    }

    [Theory]
    [InlineData(PosixSignal.SigInt)]
    [InlineData(PosixSignal.SigTerm)]
    public async Task Signal_DuringStream_ExitsZero(int signal)
    {
        await using var node = MeshLlmProcess.Start(["--model", TestModels.Tiny, "--port", "0", "--backend", "embedded", "--ctx-size", "16384"]);
        var api = await node.WaitForApiAsync();
        await node.WaitForReadyAsync();
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(api, "v1/chat/completions")) { Content = JsonContent.Create(Chat("long", stream: true)) };
        using var response = await s_http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, Ct);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(Ct));
        Assert.NotNull(await reader.ReadLineAsync(Ct));

        node.Signal(signal);

        var code = await node.WaitForExitAsync(TimeSpan.FromSeconds(30));
        Assert.True(code == 0, $"exit code {code}; stderr:\n{node.Stderr}");
    }

    [Fact]
    public async Task MissingModelFile_OneLineError_ExitCode4()
    {
        var (code, stderr) = await RunToExitAsync("--model", "/nonexistent/model.gguf");

        Assert.Equal(4, code);
        Assert.Equal("error: Model file '/nonexistent/model.gguf' does not exist. Check the path (relative paths start from " + Environment.CurrentDirectory + ").", stderr.Trim());
    }

    [Fact]
    public async Task NotAGgufFile_OneLineError_ExitCode4()
    {
        var path = Path.Combine(Directory.CreateTempSubdirectory().FullName, "notes.gguf");
        await File.WriteAllTextAsync(path, "just some text, not a model", Ct);

        var (code, stderr) = await RunToExitAsync("--model", path);

        Assert.Equal(4, code);
        Assert.Contains("is not a GGUF model file", stderr);
        Assert.Single(stderr.Trim().Split('\n'));
    }

    [Fact]
    public async Task TruncatedGguf_OneLineError_ExitCode4()
    {
        var path = Path.Combine(Directory.CreateTempSubdirectory().FullName, "broken.gguf");
        var bytes = await File.ReadAllBytesAsync(TestModels.Tiny, Ct);
        await File.WriteAllBytesAsync(path, bytes[..(bytes.Length / 2)], Ct);

        var (code, stderr) = await RunToExitAsync("--model", path);

        Assert.Equal(4, code);
        Assert.StartsWith($"error: '{path}' is not a valid GGUF model:", stderr.Trim());
        Assert.Single(stderr.Trim().Split('\n'));
    }

    [Fact]
    public async Task PortInUse_OneLineError_ExitCode3()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;

        var (code, stderr) = await RunToExitAsync("--model", TestModels.Tiny, "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture));

        Assert.Equal(3, code);
        Assert.Contains($"error: Port {port} is already in use. Stop the other program or run with --port <n>.", stderr);
        Assert.DoesNotContain("   at ", stderr);
    }

    [Fact]
    public async Task NoModel_UsageError_ExitCode1()
    {
        var (code, stderr) = await RunToExitAsync();

        Assert.Equal(1, code);
        Assert.Contains("No model given", stderr);
    }

    [Fact]
    public async Task InvalidOptionValue_ExplainsAndExitsNonZero()
    {
        var (code, stderr) = await RunToExitAsync("--model", TestModels.Tiny, "--parallel", "0");

        Assert.Equal(1, code);
        // One line with the reason and where help is, not a screen of help.
        Assert.Equal("error: --parallel must be between 1 and 64. (see 'mesh-llm --help')", Assert.Single(stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries)));
    }

    private static async Task<(int Code, string Stderr)> RunToExitAsync(params string[] args)
    {
        await using var node = MeshLlmProcess.Start(args);
        var code = await node.WaitForExitAsync(TimeSpan.FromSeconds(30));
        // Only the user-facing lines: JSON log lines are for tools.
        var lines = node.Stderr.Split('\n').Where(l => !l.StartsWith('{'));
        return (code, string.Join('\n', lines));
    }

    private static async Task<JsonElement> EngineHealthAsync(Uri engine) =>
        JsonDocument.Parse(await s_http.GetStringAsync(new Uri(engine, "health"), Ct)).RootElement;

    private static async Task WaitUntilAsync(Func<Task<bool>> condition, string what)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"Timed out waiting for {what}.");
            await Task.Delay(50, Ct);
        }
    }
}
