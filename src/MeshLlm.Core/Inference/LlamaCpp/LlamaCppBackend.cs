using System.Net;
using System.Net.Sockets;
using MeshLlm.Inference.Processes;
using MeshLlm.Models.Gguf;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace MeshLlm.Inference.LlamaCpp;

/// <summary>
/// Serves a model with llama.cpp: an <c>rpc-server</c> that lends this machine to splits (when installed) and a
/// <c>llama-server</c>, both on 127.0.0.1 and ephemeral ports, each a supervised <see cref="ChildProcess"/>.
/// </summary>
/// <remarks>
/// Start: find the binaries; check once that they accept our flags; start rpc-server (unless it already runs,
/// lent to a split) and wait for its port; start llama-server, with <c>--rpc</c> and <c>--tensor-split</c> when the
/// plan splits, and poll <c>/health</c> until 200 (progress logged, timeout scaled by model size).
/// Stop: llama-server first (it aborts if an RPC worker vanishes under it), then rpc-server; a re-plan stops
/// llama-server only.
/// A child that exits while we did not ask completes <see cref="BackendEndpoint.Stopped"/>.
/// </remarks>
internal sealed partial class LlamaCppBackend(
    IOptions<InferenceOptions> options,
    ChildProcessRegistry registry,
    TimeProvider timeProvider,
    ILogger<LlamaCppBackend> logger) : IInferenceBackend, IDisposable
{
    private static readonly TimeSpan s_probeTimeout = TimeSpan.FromSeconds(15);
    private readonly HttpClient _health = new() { Timeout = TimeSpan.FromSeconds(2) };
    private readonly HashSet<string> _checked = [];
    private ChildProcess? _server;
    private ChildProcess? _rpc;
    private RpcLease? _lease;
    private TaskCompletionSource<string>? _crashed;

    public string Kind => "llamacpp";

    public bool CanSplit => LlamaCppBinaries.Find(options.Value.BinDir)?.RpcServer is not null;

    /// <summary>Port of this node's rpc-server on 127.0.0.1, when one runs.</summary>
    public int? RpcPort { get; private set; }

    public async Task<BackendEndpoint> StartAsync(ModelFile model, LaunchPlan plan, CancellationToken cancellationToken)
    {
        var o = options.Value;
        var binaries = Binaries(o);
        await CheckFlagsAsync(binaries, o.DraftPath is not null, plan.IsSplit, cancellationToken);
        var device = await DeviceDetector.ResolveAsync(o.Device, cancellationToken);
        var slotContext = SlotContext(model.Path, o);
        var crashed = _crashed = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);

        int? ownRpc = null;
        if (binaries.RpcServer is not null)
        {
            var lease = await LendAsync(binaries, o, cancellationToken);
            _ = lease.Stopped.ContinueWith(t => crashed.TrySetResult(t.Result), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            ownRpc = lease.Port;
        }
        else if (plan.IsSplit)
        {
            throw new BackendStartException("Cannot host a split: this llama.cpp has no rpc-server.");
        }

        // No GPU here: the host's own share runs in its own rpc-server, last in the list like its share.
        var rpc = LlamaCppFlags.SplitRpcList(plan.RpcServers, device, ownRpc);
        var port = FreePort();
        var settings = new LlamaServerSettings(model.Path, model.Name, port, slotContext, o.Parallel, o.Threads,
            plan.IsSplit ? DeviceDetector.AllLayers : DeviceDetector.GpuLayers(device), o.DraftPath, rpc, plan.IsSplit ? plan.TensorSplit : null);
        _server = ChildProcess.Start("llama-server", binaries.LlamaServer, LlamaCppFlags.ServerArguments(settings), registry, timeProvider, logger);
        Watch(_server, crashed);
        var endpoint = new Uri($"http://127.0.0.1:{port}/");
        await WaitForHealthAsync(_server, endpoint, model, o, cancellationToken);
        if (plan.IsSplit)
        {
            LogServingSplit(model.Name, string.Join(",", rpc), plan.TensorSplit, slotContext, o.Parallel);
        }
        else
        {
            LogServing(model.Name, device, slotContext, o.Parallel);
        }

        return new BackendEndpoint(endpoint, slotContext, crashed.Task);
    }

    public async Task<RpcLease?> LendAsync(CancellationToken cancellationToken)
    {
        var o = options.Value;
        var binaries = Binaries(o);
        if (binaries.RpcServer is null)
        {
            return null;
        }

        await CheckFlagsAsync(binaries, draft: false, split: false, cancellationToken);
        return await LendAsync(binaries, o, cancellationToken);
    }

    private async Task<RpcLease> LendAsync(LlamaCppBinaries binaries, InferenceOptions o, CancellationToken cancellationToken)
    {
        if (_rpc is { Exited.IsCompleted: false } && _lease is not null)
        {
            return _lease;
        }

        await StopRpcServerAsync();
        var rpcPort = FreePort();
        var stopped = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        var rpc = _rpc = ChildProcess.Start("rpc-server", binaries.RpcServer!, LlamaCppFlags.RpcArguments(rpcPort, o.Threads), registry, timeProvider, logger);
        _ = rpc.Exited.ContinueWith(
            exited =>
            {
                // Only an exit we did not ask for is a crash (StopRpcServerAsync clears _rpc first).
                if (ReferenceEquals(_rpc, rpc))
                {
                    stopped.TrySetResult($"rpc-server (PID {rpc.Pid}) exited with code {exited.Result}. {LogReason(rpc)}");
                }
            },
            CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        await WaitForPortAsync(rpc, rpcPort, o.ReadyTimeout, cancellationToken);
        RpcPort = rpcPort;
        return _lease = new RpcLease(rpcPort, stopped.Task);
    }

    public async Task StopServerAsync(CancellationToken cancellationToken)
    {
        _crashed = null;
        if (Interlocked.Exchange(ref _server, null) is { } server)
        {
            await server.StopAsync(options.Value.StopGracePeriod, timeProvider);
            await server.DisposeAsync();
        }
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        // llama-server first: it aborts if an RPC worker vanishes under it.
        await StopServerAsync(cancellationToken);
        await StopRpcServerAsync();
    }

    private async Task StopRpcServerAsync()
    {
        _lease = null;
        RpcPort = null;
        if (Interlocked.Exchange(ref _rpc, null) is { } rpc)
        {
            await rpc.StopAsync(options.Value.StopGracePeriod, timeProvider);
            await rpc.DisposeAsync();
        }
    }

    private static LlamaCppBinaries Binaries(InferenceOptions o) =>
        LlamaCppBinaries.Find(o.BinDir) ?? throw new BackendStartException(MissingMessage(o.BinDir));

    public async ValueTask DisposeAsync()
    {
        await StopAsync(CancellationToken.None);
        _health.Dispose();
    }

    public void Dispose() => _health.Dispose();

    private void Watch(ChildProcess child, TaskCompletionSource<string> crashed) =>
        child.Exited.ContinueWith(
            exited =>
            {
                // Only an exit we did not ask for is a crash (StopAsync clears _crashed first).
                if (ReferenceEquals(_crashed, crashed))
                {
                    crashed.TrySetResult($"{child.Name} (PID {child.Pid}) exited with code {exited.Result}. {LogReason(child)}");
                }
            },
            CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);

    private static int SlotContext(string modelPath, InferenceOptions o)
    {
        if (o.ContextSize > 0)
        {
            return o.ContextSize;
        }

        var trained = (int?)GgufReader.Read(modelPath).ContextLength ?? InferenceOptions.AutoContextCap;
        return Math.Min(trained, InferenceOptions.AutoContextCap);
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static string MissingMessage(string? binDir) =>
        "llama.cpp's llama-server was not found (searched: " + string.Join(", ", LlamaCppBinaries.SearchFolders(binDir).Take(4)) +
        ", and PATH). Install llama.cpp, point --bin-dir or MESH_LLM_BIN_DIR at its binaries, or use --backend embedded.";

    [LoggerMessage(EventId = 5210, Level = LogLevel.Information, Message = "llama-server serving {Model} on {Device} ({SlotContext} tokens × {Parallel} slots)")]
    private partial void LogServing(string model, string device, int slotContext, int parallel);

    [LoggerMessage(EventId = 5213, Level = LogLevel.Information, Message = "llama-server serving {Model} split over --rpc {Rpc} with --tensor-split {TensorSplit} ({SlotContext} tokens × {Parallel} slots)")]
    private partial void LogServingSplit(string model, string rpc, string tensorSplit, int slotContext, int parallel);
}
