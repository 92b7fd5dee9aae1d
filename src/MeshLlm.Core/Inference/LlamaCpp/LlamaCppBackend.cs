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
/// Start: find the binaries; check once that they accept our flags; start rpc-server and wait for its port;
/// start llama-server and poll <c>/health</c> until 200 (progress logged, timeout scaled by model size).
/// Stop: llama-server first (it aborts if an RPC worker vanishes under it), then rpc-server.
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
    private TaskCompletionSource<string>? _crashed;

    public string Kind => "llamacpp";

    /// <summary>Port of this node's rpc-server on 127.0.0.1, when one runs.</summary>
    public int? RpcPort { get; private set; }

    public async Task<BackendEndpoint> StartAsync(ModelFile model, CancellationToken cancellationToken)
    {
        var o = options.Value;
        var binaries = LlamaCppBinaries.Find(o.BinDir) ?? throw new BackendStartException(MissingMessage(o.BinDir));
        await CheckFlagsAsync(binaries, o.DraftPath is not null, cancellationToken);
        var device = await DeviceDetector.ResolveAsync(o.Device, cancellationToken);
        var slotContext = SlotContext(model.Path, o);
        var crashed = _crashed = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);

        if (binaries.RpcServer is not null)
        {
            var rpcPort = FreePort();
            _rpc = ChildProcess.Start("rpc-server", binaries.RpcServer, LlamaCppFlags.RpcArguments(rpcPort, o.Threads), registry, timeProvider, logger);
            Watch(_rpc, crashed);
            await WaitForPortAsync(_rpc, rpcPort, o.ReadyTimeout, cancellationToken);
            RpcPort = rpcPort;
        }

        var port = FreePort();
        var settings = new LlamaServerSettings(model.Path, model.Name, port, slotContext, o.Parallel, o.Threads,
            DeviceDetector.GpuLayers(device), o.DraftPath);
        _server = ChildProcess.Start("llama-server", binaries.LlamaServer, LlamaCppFlags.ServerArguments(settings), registry, timeProvider, logger);
        Watch(_server, crashed);
        var endpoint = new Uri($"http://127.0.0.1:{port}/");
        await WaitForHealthAsync(_server, endpoint, model, o, cancellationToken);
        LogServing(model.Name, device, slotContext, o.Parallel);
        return new BackendEndpoint(endpoint, slotContext, crashed.Task);
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        _crashed = null;
        var grace = options.Value.StopGracePeriod;
        foreach (var child in new[] { _server, _rpc })
        {
            if (child is not null)
            {
                await child.StopAsync(grace, timeProvider);
                await child.DisposeAsync();
            }
        }

        _server = null;
        _rpc = null;
        RpcPort = null;
    }

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
}
