namespace MeshLlm.Inference.LlamaCpp;

public sealed class LlamaCppFlagsTests
{
    private const string Help = """
        -m,    --model FNAME                    model path
        -a,    --alias STRING                   set model name aliases
        --host HOST                             IP addresses to listen on
        --port PORT                             port to listen (default: 9931)
        -c,    --ctx-size N                     size of the prompt context
        -np,   --parallel N                     number of server slots
        -t,    --threads N                      number of CPU threads
        -tb,   --threads-batch N                threads for batch processing
        -ngl,  --gpu-layers, --n-gpu-layers N   max. number of layers to store in VRAM
        --ui,  --webui, --no-ui, --no-webui     whether to enable the Web UI
        -kvu,  --kv-unified, -no-kvu, --no-kv-unified
        """;

    [Fact]
    public void Missing_AllServerFlagsInHelp_ReturnsNone() =>
        Assert.Empty(LlamaCppFlags.Missing(Help, LlamaCppFlags.ServerFlags));

    [Fact]
    public void Missing_FlagAbsent_ReturnsIt()
    {
        var help = Help.Replace("--no-kv-unified", "", StringComparison.Ordinal);

        Assert.Equal(["--no-kv-unified"], LlamaCppFlags.Missing(help, LlamaCppFlags.ServerFlags));
    }

    [Fact]
    public void Missing_FlagOnlyAsPrefixOfAnother_IsMissing()
    {
        // "--port" must not be satisfied by "--portable" or by "--port-range".
        Assert.Equal(["--port"], LlamaCppFlags.Missing("--portable X\n--port-range N", ["--port"]));
    }

    [Fact]
    public void Missing_DraftFlags_ReportedWhenAbsent() =>
        Assert.Equal(LlamaCppFlags.DraftFlags, LlamaCppFlags.Missing(Help, LlamaCppFlags.DraftFlags));

    [Theory]
    [InlineData("load_backend: loaded CPU\nversion: 0.7.0 (build 11669, commit Debian)\nbuilt with gcc", "version: 0.7.0 (build 11669, commit Debian)")]
    [InlineData("nothing useful", "unknown version")]
    public void Version_FindsTheVersionLine(string output, string expected) =>
        Assert.Equal(expected, LlamaCppFlags.Version(output));

    [Fact]
    public void ServerArguments_LoopbackAliasContextAndSlots()
    {
        var args = LlamaCppFlags.ServerArguments(new LlamaServerSettings("/m/x.gguf", "x", 4321, 2048, 4, 2, 0, null));

        Assert.Equal(
            ["-m", "/m/x.gguf", "--alias", "x", "--host", "127.0.0.1", "--port", "4321", "--ctx-size", "8192", "--parallel", "4",
             "--threads", "2", "--threads-batch", "2", "--n-gpu-layers", "0", "--no-webui", "--no-kv-unified"],
            args);
    }

    [Fact]
    public void ServerArguments_WithDraft_DraftOnSameLayersAsMain()
    {
        var args = LlamaCppFlags.ServerArguments(new LlamaServerSettings("/m/x.gguf", "x", 1, 512, 1, 1, 999, "/m/d.gguf"));

        Assert.Equal(["--model-draft", "/m/d.gguf", "--gpu-layers-draft", "999"], args.TakeLast(4));
    }

    [Fact]
    public void ServerArguments_UseOnlyCheckedFlags()
    {
        var args = LlamaCppFlags.ServerArguments(new LlamaServerSettings("/m/x.gguf", "x", 1, 512, 1, 1, 999, "/m/d.gguf"));
        var flags = args.Where(a => a.StartsWith('-')).ToList();

        Assert.All(flags, f => Assert.Contains(f, LlamaCppFlags.ServerFlags.Concat(LlamaCppFlags.DraftFlags)));
    }

    [Fact]
    public void Split_OnCpu_TheRpcListEndsWithTheHostsOwnRpcServer_OneEntryPerShare()
    {
        var plan = Planning.SplitPlanner.Plan(20, new(Id('f'), 12, true), [new(Id('1'), 6, true, 1), new(Id('2'), 6, true, 2)], false);
        var partners = plan.Partners.Select((_, i) => $"127.0.0.1:{4000 + i}").ToList();

        var rpc = LlamaCppFlags.SplitRpcList(partners, "cpu", ownRpcPort: 5000);
        var args = LlamaCppFlags.ServerArguments(new LlamaServerSettings("/m/x.gguf", "x", 1, 512, 1, 1, 999, null, rpc, plan.TensorSplit));

        Assert.Equal(["127.0.0.1:4000", "127.0.0.1:4001", "127.0.0.1:5000"], rpc);
        var rpcArg = args[args.ToList().IndexOf("--rpc") + 1].Split(',');
        var splitArg = args[args.ToList().IndexOf("--tensor-split") + 1].Split(',');
        Assert.Equal(rpcArg.Length, splitArg.Length);
        Assert.Equal("0.50", splitArg[^1]); // the host's share, last like its rpc-server
    }

    [Fact]
    public void Split_OnAGpu_TheRpcListIsThePartners_TheLastShareIsTheLocalGpu()
    {
        var rpc = LlamaCppFlags.SplitRpcList(["127.0.0.1:4000"], "cuda", ownRpcPort: 5000);

        Assert.Equal(["127.0.0.1:4000"], rpc);
        Assert.Empty(LlamaCppFlags.SplitRpcList([], "cpu", ownRpcPort: 5000)); // solo: no --rpc at all
    }

    [Fact]
    public void LaunchPlan_SameLaunch_OnlyModeAndPartnersCount()
    {
        var running = new LaunchPlan(LaunchMode.Serve, ["127.0.0.1:1"], "0.50,0.50", "reason a");

        Assert.True(running.SameLaunch(running with { TensorSplit = "0.60,0.40", Reason = "reason b" }));
        Assert.False(running.SameLaunch(running with { RpcServers = ["127.0.0.1:2"] }));
        Assert.False(running.SameLaunch(running with { Mode = LaunchMode.Lend }));
    }

    private static Identity.NodeId Id(char c) => Identity.NodeId.TryParse(new string(c, 64), out var id) ? id : throw new ArgumentException("bad id");

    [Fact]
    public void RpcArguments_LoopbackWithCache()
    {
        var args = LlamaCppFlags.RpcArguments(50052, 2);

        Assert.Equal(["--host", "127.0.0.1", "--port", "50052", "--cache", "--threads", "2"], args);
        Assert.All(args.Where(a => a.StartsWith('-')), f => Assert.Contains(f, LlamaCppFlags.RpcFlags));
    }
}
