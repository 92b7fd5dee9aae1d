using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace MeshLlm.Inference;

/// <summary>
/// Runs the backend for this node's model in the background, so the API answers (503 while loading) from the
/// first second, publishes the model's state to <see cref="ServingState"/>, and restarts a backend that stops
/// by itself, with back-off, until it has crashed <see cref="InferenceOptions.MaxRestarts"/> times in a row.
/// What runs follows the <see cref="ILaunchPlanner"/>: serve (alone or hosting a split), lend the rpc-server, or
/// wait; the model server is relaunched only when the plan's launch changes (DESIGN.md §9).
/// </summary>
public sealed partial class BackendService(
    IInferenceBackend backend,
    ServingState state,
    ModelAssignment assignment,
    ILaunchPlanner planner,
    IOptions<InferenceOptions> options,
    IHostApplicationLifetime lifetime,
    TimeProvider timeProvider,
    ILogger<BackendService> logger) : BackgroundService
{
    /// <summary>Set when the backend could not be kept serving; the host exits with it.</summary>
    public string? FailureMessage { get; private set; }

    private readonly CancellationTokenSource _drop = new();
    private CancellationTokenSource? _serving;
    private string? _model;

    public override void Dispose()
    {
        base.Dispose();
        _serving?.Dispose();
        _drop.Dispose();
    }

    /// <summary>
    /// Stops serving <paramref name="model"/> if it is this node's (<c>POST /mesh/drop</c>): the backend stops, the
    /// model leaves <see cref="ServingState"/>, and the node stays in the mesh without it. False if not served here.
    /// </summary>
    public bool Drop(string model)
    {
        if (_model != model || _drop.IsCancellationRequested)
        {
            return false;
        }

        _drop.Cancel();
        return true;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var o = options.Value;
        string path;
        try
        {
            // Without --model, the planner may give this node a model later; until then it serves nothing.
            path = o.ModelPath ?? await assignment.WaitAsync(stoppingToken);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            return;
        }

        var info = new FileInfo(path);
        var model = new ModelFile(info.FullName, Models.ModelName.FromPath(path), info.Length);
        _model = model.Name;
        Publish(model, ServingStatus.Loading, null);
        LogLoading(model.Name, backend.Kind, model.SizeBytes / 1e6);
        // Not disposed here: the engine may still hold this token while it shuts down (disposed with the service).
        var serving = _serving = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken, _drop.Token);
        try
        {
            if (o.StartupDelay > TimeSpan.Zero)
            {
                await Task.Delay(o.StartupDelay, timeProvider, serving.Token);
            }

            await ServeAsync(model, o, serving.Token);
        }
        catch (OperationCanceledException) when (serving.IsCancellationRequested)
        {
        }
        finally
        {
            await backend.StopAsync(CancellationToken.None);
            if (_drop.IsCancellationRequested && !stoppingToken.IsCancellationRequested)
            {
                state.Remove(model.Name);
                LogDropped(model.Name);
            }
        }
    }

    private async Task ServeAsync(ModelFile model, InferenceOptions o, CancellationToken stoppingToken)
    {
        var failures = 0;
        while (true)
        {
            var changed = planner.NextChange;
            var plan = planner.Plan(model, backend.CanSplit);
            string reason;
            if (plan.Mode != LaunchMode.Serve)
            {
                reason = await LendOrWaitAsync(model, plan, changed, stoppingToken);
                if (reason.Length == 0)
                {
                    failures = 0;
                    continue;
                }
            }
            else
            {
                var start = timeProvider.GetTimestamp();
                try
                {
                    Publish(model, ServingStatus.Loading, null);
                    var endpoint = await backend.StartAsync(model, plan, stoppingToken);
                    Publish(model, ServingStatus.Ready, endpoint);
                    LogReady(model.Name, endpoint.BaseAddress, timeProvider.GetElapsedTime(start).TotalMilliseconds);
                    if (await NextLaunchAsync(model, plan, changed, endpoint.Stopped, stoppingToken) is { } next)
                    {
                        // The plan changed (a partner left, a new host...): stop llama-server before its partners go.
                        LogReplanned(model.Name, next.Reason);
                        Publish(model, ServingStatus.Loading, null);
                        await backend.StopServerAsync(stoppingToken);
                        failures = 0;
                        continue;
                    }

                    reason = await endpoint.Stopped;
                    failures = timeProvider.GetElapsedTime(start) > o.StableAfter ? 0 : failures;
                }
                catch (BackendStartException e) when (!e.Retryable)
                {
                    // An expected failure with a message for the user: no stack trace in the log.
                    Fail(model, e.Message);
                    return;
                }
                catch (BackendStartException e)
                {
                    reason = e.Message;
                }
            }

            Publish(model, ServingStatus.Loading, null);
            await backend.StopAsync(stoppingToken);
            if (++failures > o.MaxRestarts)
            {
                Fail(model, $"{backend.Kind} failed {failures} times in a row; giving up. Last failure: {reason}");
                return;
            }

            var delay = RestartDelay(failures, o);
            LogRestarting(model.Name, reason, delay.TotalSeconds, failures, o.MaxRestarts);
            await Task.Delay(delay, timeProvider, stoppingToken);
        }
    }

    /// <summary>
    /// Lends the rpc-server (or just waits) until the plan asks for something else: returns "" then, or the reason
    /// the rpc-server stopped by itself.
    /// </summary>
    private async Task<string> LendOrWaitAsync(ModelFile model, LaunchPlan plan, Task changed, CancellationToken stoppingToken)
    {
        await backend.StopServerAsync(stoppingToken);
        RpcLease? lease;
        try
        {
            lease = await backend.LendAsync(stoppingToken);
        }
        catch (BackendStartException e)
        {
            return e.Message;
        }

        Publish(model, plan.Mode == LaunchMode.Lend ? ServingStatus.Lending : ServingStatus.Waiting, null);
        var stopped = lease?.Stopped ?? new TaskCompletionSource<string>().Task;
        return await NextLaunchAsync(model, plan, changed, stopped, stoppingToken) is null ? await stopped : "";
    }

    /// <summary>Waits until the plan's launch changes (returns the new plan) or <paramref name="stopped"/> completes (returns null).</summary>
    private async Task<LaunchPlan?> NextLaunchAsync(ModelFile model, LaunchPlan current, Task changed, Task stopped, CancellationToken stoppingToken)
    {
        while (true)
        {
            if (await Task.WhenAny(changed, stopped).WaitAsync(stoppingToken) == stopped)
            {
                return null;
            }

            changed = planner.NextChange;
            var next = planner.Plan(model, backend.CanSplit);
            if (!next.SameLaunch(current))
            {
                return next;
            }
        }
    }

    /// <summary>Back-off before restart number <paramref name="failures"/> (1-based): doubling, capped.</summary>
    public static TimeSpan RestartDelay(int failures, InferenceOptions o) =>
        TimeSpan.FromTicks(Math.Min(o.MaxRestartDelay.Ticks, o.RestartDelay.Ticks << Math.Min(failures - 1, 20)));

    private void Fail(ModelFile model, string message)
    {
        FailureMessage = message;
        Publish(model, ServingStatus.Failed, null);
        LogFailed(model.Name, message);
        lifetime.StopApplication();
    }

    private void Publish(ModelFile model, ServingStatus status, BackendEndpoint? endpoint) =>
        state.Publish(new ServedModel(model.Name, status, endpoint?.BaseAddress, model.SizeBytes, endpoint?.ContextLength ?? 0, backend.Kind));

    [LoggerMessage(EventId = 5000, Level = LogLevel.Information, Message = "Loading model {Model} with the {Backend} backend ({SizeMb:F1} MB)")]
    private partial void LogLoading(string model, string backend, double sizeMb);

    [LoggerMessage(EventId = 5001, Level = LogLevel.Information, Message = "Model {Model} ready; engine at {Endpoint} after {ElapsedMs:F0} ms")]
    private partial void LogReady(string model, Uri endpoint, double elapsedMs);

    [LoggerMessage(EventId = 5006, Level = LogLevel.Information, Message = "Model {Model}: the plan changed ({Reason}); stopping the model server to relaunch")]
    private partial void LogReplanned(string model, string reason);

    [LoggerMessage(EventId = 5005, Level = LogLevel.Information, Message = "Model {Model} dropped: stopped serving it; this node stays in the mesh")]
    private partial void LogDropped(string model);

    [LoggerMessage(EventId = 5002, Level = LogLevel.Error, Message = "Model {Model} could not be served: {Reason}")]
    private partial void LogFailed(string model, string reason);

    [LoggerMessage(EventId = 5004, Level = LogLevel.Warning, Message = "Model {Model} stopped serving: {Reason} Restarting in {DelaySeconds:F1} s (failure {Failures} of at most {MaxRestarts})")]
    private partial void LogRestarting(string model, string reason, double delaySeconds, int failures, int maxRestarts);
}
