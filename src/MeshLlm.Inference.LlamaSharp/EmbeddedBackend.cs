using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace MeshLlm.Inference.LlamaSharp;

/// <summary>The embedded backend: LLamaSharp in this process, behind its own loopback OpenAI server. Cannot split.</summary>
internal sealed class EmbeddedBackend(IOptions<InferenceOptions> options, TimeProvider timeProvider, ILoggerFactory loggerFactory)
    : IInferenceBackend
{
    private LlamaSharpEngine? _engine;
    private EmbeddedOpenAiServer? _server;

    public string Kind => "embedded";

    public bool CanSplit => false;

    public int? RpcPort => null;

    public Task<RpcLease?> LendAsync(CancellationToken cancellationToken) => Task.FromResult<RpcLease?>(null);

    public Task StopServerAsync(CancellationToken cancellationToken) => StopAsync(cancellationToken);

    public async Task<BackendEndpoint> StartAsync(ModelFile model, LaunchPlan plan, CancellationToken cancellationToken)
    {
        if (plan.IsSplit)
        {
            throw new BackendStartException("The embedded engine cannot split a model over other nodes; use --backend llamacpp.");
        }

        var nativeLog = NativeLog.Install(loggerFactory);
        var logger = loggerFactory.CreateLogger<LlamaSharpEngine>();
        // Loading is blocking native work; keep it off the caller's thread so the API stays responsive.
        _engine = await Task.Run(() => LlamaSharpEngine.Load(model, options.Value, nativeLog, logger), cancellationToken);
        _server = await EmbeddedOpenAiServer.StartAsync(_engine, timeProvider, loggerFactory, cancellationToken);
        // The engine lives in this process: it cannot crash without taking the node with it.
        return new BackendEndpoint(_server.BaseAddress, _engine.Settings.SlotContext, new TaskCompletionSource<string>().Task)
        {
            Direct = _server.Direct,
        };
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        // Stop can run twice at once (the backend service's own stop and the container's disposal): take each
        // object out first, so only one caller disposes it.
        if (Interlocked.Exchange(ref _server, null) is { } server)
        {
            await server.DisposeAsync();
        }

        if (Interlocked.Exchange(ref _engine, null) is { } engine)
        {
            await engine.DisposeAsync();
        }
    }

    public ValueTask DisposeAsync() => new(StopAsync(CancellationToken.None));
}
