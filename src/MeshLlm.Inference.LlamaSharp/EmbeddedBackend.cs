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

    public async Task<BackendEndpoint> StartAsync(ModelFile model, CancellationToken cancellationToken)
    {
        var nativeLog = NativeLog.Install(loggerFactory);
        var logger = loggerFactory.CreateLogger<LlamaSharpEngine>();
        // Loading is blocking native work; keep it off the caller's thread so the API stays responsive.
        _engine = await Task.Run(() => LlamaSharpEngine.Load(model, options.Value, nativeLog, logger), cancellationToken);
        _server = await EmbeddedOpenAiServer.StartAsync(_engine, timeProvider, loggerFactory, cancellationToken);
        // The engine lives in this process: it cannot crash without taking the node with it.
        return new BackendEndpoint(_server.BaseAddress, _engine.Settings.SlotContext, new TaskCompletionSource<string>().Task);
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
            _server = null;
        }

        if (_engine is not null)
        {
            await _engine.DisposeAsync();
            _engine = null;
        }
    }

    public ValueTask DisposeAsync() => new(StopAsync(CancellationToken.None));
}
