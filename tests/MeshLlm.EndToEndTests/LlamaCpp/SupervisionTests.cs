using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using MeshLlm.Testing;

namespace MeshLlm.EndToEnd.LlamaCpp;

/// <summary>Supervision of real llama.cpp children: crashes, restarts, giving up, shutdown, stale PID files.</summary>
public sealed class SupervisionTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static readonly HttpClient s_http = new() { Timeout = TimeSpan.FromSeconds(60) };

    private static object Chat(string content, int? maxTokens = 4, bool stream = false) =>
        new { model = "tiny", stream, max_tokens = maxTokens, messages = new[] { new { role = "user", content } } };

    private static int ChildPid(MeshLlmProcess node, string name, int occurrence = 1) =>
        int.Parse(node.Events(5201).Where(e => e.Get("Name") == name).ElementAt(occurrence - 1).Get("Pid")!, CultureInfo.InvariantCulture);

    private static MeshLlmProcess StartNode(params (string, string?)[] environment) =>
        MeshLlmProcess.Start(["--model", TestModels.Tiny, "--port", "0", "--backend", "llamacpp", "--ctx-size", "16384", "--parallel", "2"],
            LlamaCppRig.ChildEnvironment(environment));

    [Fact]
    public async Task KillLlamaServerWhileIdle_503WithRetryAfter_ThenServesAgain()
    {
        LlamaCppRig.Require();
        await using var node = StartNode(("MESHLLM__INFERENCE__RESTARTDELAY", "00:00:03"));
        var api = await node.WaitForApiAsync();
        await node.WaitForReadyAsync();

        PosixSignal.Send(ChildPid(node, "llama-server"), PosixSignal.SigKill);
        await node.WaitForEventAsync(5004);
        using (var during = await s_http.PostAsJsonAsync(new Uri(api, "v1/chat/completions"), Chat("hi"), Ct))
        {
            await CompletionsAndErrorTests.AssertErrorAsync(during, HttpStatusCode.ServiceUnavailable, "model_loading");
            Assert.NotNull(during.Headers.RetryAfter);
        }

        await node.WaitForEventCountAsync(5001, 2);
        using var after = await s_http.PostAsJsonAsync(new Uri(api, "v1/chat/completions"), Chat("hi"), Ct);
        Assert.Equal(HttpStatusCode.OK, after.StatusCode);
        Assert.NotEqual(ChildPid(node, "llama-server", 1), ChildPid(node, "llama-server", 2));
    }

    [Fact]
    public async Task KillLlamaServerWhileStreaming_StreamEndsWithErrorEvent()
    {
        LlamaCppRig.Require();
        await using var node = StartNode();
        var api = await node.WaitForApiAsync();
        await node.WaitForReadyAsync();
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(api, "v1/chat/completions")) { Content = JsonContent.Create(Chat("forever", maxTokens: null, stream: true)) };
        using var response = await s_http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, Ct);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(Ct));
        for (var i = 0; i < 6; i++)
        {
            Assert.NotNull(await reader.ReadLineAsync(Ct));
        }

        PosixSignal.Send(ChildPid(node, "llama-server"), PosixSignal.SigKill);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(30));
        var rest = await reader.ReadToEndAsync(timeout.Token);

        var lastEvent = rest.Split("\n\n", StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Last();
        Assert.StartsWith("data: ", lastEvent);
        var error = JsonDocument.Parse(lastEvent["data: ".Length..]).RootElement.GetProperty("error");
        Assert.Equal("upstream_failed", error.GetProperty("code").GetString());
    }

    [Fact]
    public async Task BinaryCrashingAtStart_GivesUpAfterMaxRestarts_ExitCode6()
    {
        var rig = LlamaCppRig.Require();
        var bin = FakeBinaries.Create(rig, crashOnServe: true);

        await using var node = MeshLlmProcess.Start(["--model", TestModels.Tiny, "--port", "0", "--backend", "llamacpp", "--bin-dir", bin],
            new Dictionary<string, string?>
            {
                ["MESH_LLM_BIN_DIR"] = null,
                ["MESHLLM__INFERENCE__MAXRESTARTS"] = "2",
                ["MESHLLM__INFERENCE__RESTARTDELAY"] = "00:00:00.100",
            });

        var code = await node.WaitForExitAsync();
        Assert.True(code == 6, $"exit code {code}:\n{node.Stderr}");
        Assert.Equal(2, node.Events(5004).Count);
        var stderr = string.Join('\n', node.Stderr.Split('\n').Where(l => l.StartsWith("error:", StringComparison.Ordinal)));
        Assert.Contains("failed 3 times in a row; giving up", stderr);
        Assert.Contains("exited with code 139", stderr);
    }

    [Theory]
    [InlineData(PosixSignal.SigInt)]
    [InlineData(PosixSignal.SigTerm)]
    public async Task Shutdown_LeavesNoChildRunning(int signal)
    {
        LlamaCppRig.Require();
        await using var node = StartNode();
        await node.WaitForReadyAsync();
        int[] children = [ChildPid(node, "llama-server"), ChildPid(node, "rpc-server")];
        Assert.All(children, pid => Assert.True(PosixSignal.IsAlive(pid)));

        node.Signal(signal);

        Assert.Equal(0, await node.WaitForExitAsync(TimeSpan.FromSeconds(30)));
        Assert.All(children, pid => Assert.False(PosixSignal.IsAlive(pid), $"child {pid} still running"));
        Assert.Empty(Directory.GetFiles(Path.Combine(node.Home, "run")));
    }

    [Fact]
    public async Task StalePidFiles_KillOnlyProcessesThatAreOurs()
    {
        LlamaCppRig.Require();
        using var unrelated = System.Diagnostics.Process.Start("sleep", "300");
        using var leftover = System.Diagnostics.Process.Start("sleep", "300");
        using var othersChild = System.Diagnostics.Process.Start("sleep", "300");
        var home = Directory.CreateTempSubdirectory("mesh-llm-home-").FullName;
        var run = Directory.CreateDirectory(Path.Combine(home, "run")).FullName;
        // Same PID, other start time: a PID reused by someone else's process.
        await File.WriteAllTextAsync(Path.Combine(run, $"llama-server-{unrelated.Id}.pid"), $"{unrelated.Id} 1\n", Ct);
        // PID and start time as recorded by a crashed run: ours.
        await File.WriteAllTextAsync(Path.Combine(run, $"rpc-server-{leftover.Id}.pid"), $"{leftover.Id} {StartTime(leftover.Id)}\n", Ct);
        // A child of another node that shares this home and is still alive (this test process plays that node).
        await File.WriteAllTextAsync(Path.Combine(run, $"llama-server-{othersChild.Id}.pid"),
            $"{othersChild.Id} {StartTime(othersChild.Id)} {Environment.ProcessId} {StartTime(Environment.ProcessId)}\n", Ct);

        await using var node = MeshLlmProcess.Start(["--model", TestModels.Tiny, "--port", "0", "--backend", "llamacpp"], LlamaCppRig.ChildEnvironment(), home);
        await node.WaitForReadyAsync();

        Assert.True(leftover.WaitForExit(TimeSpan.FromSeconds(10)), "the leftover child of a crashed run was not killed");
        Assert.False(unrelated.HasExited, "an unrelated process was killed");
        Assert.False(othersChild.HasExited, "the child of another live node was killed");
        Assert.Single(node.Events(5200));
        unrelated.Kill();
        othersChild.Kill();
    }

    private static string StartTime(int pid)
    {
        var stat = File.ReadAllText($"/proc/{pid}/stat");
        return stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[19];
    }
}
