using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace MeshLlm.Inference;

/// <summary>
/// Starts the backend for this node's model in the background, so the API answers (503 while loading)
/// from the first second, and publishes the model's state to <see cref="ServingState"/>.
/// </summary>
public sealed partial class BackendService(
    IInferenceBackend backend,
    ServingState state,
    IOptions<InferenceOptions> options,
    IHostApplicationLifetime lifetime,
    TimeProvider timeProvider,
    ILogger<BackendService> logger) : BackgroundService
{
    /// <summary>Set when the backend could not start; the host exits with it.</summary>
    public string? FailureMessage { get; private set; }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var path = options.Value.ModelPath ?? throw new InvalidOperationException("No model path configured.");
        var info = new FileInfo(path);
        var model = new ModelFile(info.FullName, Models.ModelName.FromPath(path), info.Length);
        state.Publish(new ServedModel(model.Name, ServingStatus.Loading, null, model.SizeBytes, 0, backend.Kind));
        LogLoading(model.Name, backend.Kind, model.SizeBytes / 1e6);
        try
        {
            if (options.Value.StartupDelay > TimeSpan.Zero)
            {
                await Task.Delay(options.Value.StartupDelay, timeProvider, stoppingToken);
            }

            var start = timeProvider.GetTimestamp();
            var endpoint = await backend.StartAsync(model, stoppingToken);
            state.Publish(new ServedModel(model.Name, ServingStatus.Ready, endpoint.BaseAddress, model.SizeBytes,
                endpoint.ContextLength, backend.Kind));
            LogReady(model.Name, endpoint.BaseAddress, timeProvider.GetElapsedTime(start).TotalMilliseconds);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        catch (BackendStartException e)
        {
            FailureMessage = e.Message;
            state.Publish(new ServedModel(model.Name, ServingStatus.Failed, null, model.SizeBytes, 0, backend.Kind));
            LogFailed(e, model.Name, e.Message);
            lifetime.StopApplication();
        }
    }

    [LoggerMessage(EventId = 5000, Level = LogLevel.Information, Message = "Loading model {Model} with the {Backend} backend ({SizeMb:F1} MB)")]
    private partial void LogLoading(string model, string backend, double sizeMb);

    [LoggerMessage(EventId = 5001, Level = LogLevel.Information, Message = "Model {Model} ready; engine at {Endpoint} after {ElapsedMs:F0} ms")]
    private partial void LogReady(string model, Uri endpoint, double elapsedMs);

    [LoggerMessage(EventId = 5002, Level = LogLevel.Error, Message = "Model {Model} could not be served: {Reason}")]
    private partial void LogFailed(Exception exception, string model, string reason);
}
