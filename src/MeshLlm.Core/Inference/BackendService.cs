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
    ILogger<BackendService> logger,
    Func<IInferenceBackend>? createBackend = null) : BackgroundService
{
    /// <summary>How long an upgrade waits for requests to the old model server to finish before stopping it.</summary>
    public static readonly TimeSpan DrainTimeout = TimeSpan.FromMinutes(2);

    /// <summary>Set when the backend could not be kept serving; the host exits with it.</summary>
    public string? FailureMessage { get; private set; }

    private readonly CancellationTokenSource _drop = new();
    private readonly List<IInferenceBackend> _created = [];
    private IInferenceBackend _backend = backend;
    private TaskCompletionSource<UpgradeRequest> _upgrade = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private CancellationTokenSource? _serving;
    private string? _model;

    /// <summary>
    /// Replaces this node's model with the one at <paramref name="path"/> without a gap: starts it on a second model
    /// server, waits until it is ready, switches routing and the node's announcement to it, waits for requests to the
    /// old server to finish, then stops the old one. Returns null when done, else why not (the old model keeps serving).
    /// </summary>
    public async Task<string?> UpgradeAsync(string path, CancellationToken cancellationToken)
    {
        if (createBackend is null)
        {
            return "this node cannot run a second model server";
        }

        var request = new UpgradeRequest(path, new TaskCompletionSource<string?>(TaskCreationOptions.RunContinuationsAsynchronously));
        if (!_upgrade.TrySetResult(request))
        {
            return "another upgrade is under way";
        }

        return await request.Result.Task.WaitAsync(cancellationToken);
    }

    private sealed record UpgradeRequest(string Path, TaskCompletionSource<string?> Result);

    public override void Dispose()
    {
        base.Dispose();
        foreach (var created in _created)
        {
            (created as IDisposable)?.Dispose();
        }

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
        LogLoading(model.Name, _backend.Kind, model.SizeBytes / 1e6);
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
            await _backend.StopAsync(CancellationToken.None);
            if (_upgrade.Task.IsCompletedSuccessfully)
            {
                _upgrade.Task.Result.Result.TrySetResult("the node stopped serving");
            }

            if (_drop.IsCancellationRequested && !stoppingToken.IsCancellationRequested && _model is { } current)
            {
                state.Remove(current);
                LogDropped(current);
            }
        }
    }

    private async Task ServeAsync(ModelFile model, InferenceOptions o, CancellationToken stoppingToken)
    {
        var failures = 0;
        while (true)
        {
            var changed = planner.NextChange;
            var plan = planner.Plan(model, _backend.CanSplit);
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
                    var endpoint = await _backend.StartAsync(model, plan, stoppingToken);
                    Publish(model, ServingStatus.Ready, endpoint);
                    LogReady(model.Name, endpoint.BaseAddress, timeProvider.GetElapsedTime(start).TotalMilliseconds);
                    LaunchPlan? next;
                    while (true)
                    {
                        var wake = await NextLaunchAsync(model, plan, changed, endpoint.Stopped, stoppingToken);
                        if (wake is not UpgradeRequest upgrade)
                        {
                            next = wake as LaunchPlan;
                            break;
                        }

                        if (await UpgradeNowAsync(model, endpoint, upgrade.Path, stoppingToken) is { } upgraded)
                        {
                            (model, endpoint, plan) = upgraded;
                            start = timeProvider.GetTimestamp();
                            upgrade.Result.TrySetResult(null);
                        }
                        else
                        {
                            upgrade.Result.TrySetResult("the new model could not be started (see the log); the old one keeps serving");
                        }

                        changed = planner.NextChange;
                    }

                    if (next is not null)
                    {
                        // The plan changed (a partner left, a new host...): stop llama-server before its partners go.
                        LogReplanned(model.Name, next.Reason);
                        Publish(model, ServingStatus.Loading, null);
                        await _backend.StopServerAsync(stoppingToken);
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
            await _backend.StopAsync(stoppingToken);
            if (++failures > o.MaxRestarts)
            {
                Fail(model, $"{_backend.Kind} failed {failures} times in a row; giving up. Last failure: {reason}");
                return;
            }

            var delay = RestartDelay(failures, o);
            LogRestarting(model.Name, reason, delay.TotalSeconds, failures, o.MaxRestarts);
            await Task.Delay(delay, timeProvider, stoppingToken);
        }
    }

    /// <summary>
    /// Starts <paramref name="path"/> on a second backend while <paramref name="current"/> keeps serving; when it is ready,
    /// switches to it, drains and stops the old one. Null (and the old one untouched) when the new one cannot start.
    /// </summary>
    private async Task<(ModelFile Model, BackendEndpoint Endpoint, LaunchPlan Plan)?> UpgradeNowAsync(
        ModelFile current, BackendEndpoint currentEndpoint, string path, CancellationToken stoppingToken)
    {
        var info = new FileInfo(path);
        var next = new ModelFile(info.FullName, Models.ModelName.FromPath(path), info.Length);
        var plan = LaunchPlan.Solo("upgrade");
        var fresh = createBackend!();
        _created.Add(fresh);
        LogUpgrading(current.Name, next.Name);
        var start = timeProvider.GetTimestamp();
        BackendEndpoint endpoint;
        try
        {
            endpoint = await fresh.StartAsync(next, plan, stoppingToken);
        }
        catch (BackendStartException e)
        {
            LogUpgradeFailed(current.Name, next.Name, e.Message);
            await fresh.StopAsync(CancellationToken.None);
            return null;
        }

        // Routing and the announcement move to the new model in one change; then the old server finishes its requests.
        _model = next.Name;
        state.Replace(current.Name, new ServedModel(next.Name, ServingStatus.Ready, endpoint.BaseAddress, next.SizeBytes, endpoint.ContextLength, fresh.Kind)
        {
            Direct = endpoint.Direct,
        });
        LogReady(next.Name, endpoint.BaseAddress, timeProvider.GetElapsedTime(start).TotalMilliseconds);
        var old = _backend;
        _backend = fresh;
        await DrainAsync(currentEndpoint.BaseAddress, stoppingToken);
        await old.StopAsync(CancellationToken.None);
        LogUpgraded(current.Name, next.Name);
        return (next, endpoint, plan);
    }

    /// <summary>Waits (a moment at least, for requests routed just before the switch) until nothing is in flight to the old server.</summary>
    private async Task DrainAsync(Uri endpoint, CancellationToken stoppingToken)
    {
        var started = timeProvider.GetTimestamp();
        await Task.Delay(TimeSpan.FromSeconds(1), timeProvider, stoppingToken);
        while (state.InUse(endpoint) > 0 && timeProvider.GetElapsedTime(started) < DrainTimeout)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(100), timeProvider, stoppingToken);
        }
    }

    /// <summary>
    /// Lends the rpc-server (or just waits) until the plan asks for something else: returns "" then, or the reason
    /// the rpc-server stopped by itself.
    /// </summary>
    private async Task<string> LendOrWaitAsync(ModelFile model, LaunchPlan plan, Task changed, CancellationToken stoppingToken)
    {
        await _backend.StopServerAsync(stoppingToken);
        RpcLease? lease;
        try
        {
            lease = await _backend.LendAsync(stoppingToken);
        }
        catch (BackendStartException e)
        {
            return e.Message;
        }

        Publish(model, plan.Mode == LaunchMode.Lend ? ServingStatus.Lending : ServingStatus.Waiting, null);
        var stopped = lease?.Stopped ?? new TaskCompletionSource<string>().Task;
        return await NextLaunchAsync(model, plan, changed, stopped, stoppingToken) is LaunchPlan ? "" : await stopped;
    }

    /// <summary>
    /// Waits until the plan's launch changes (returns the new <see cref="LaunchPlan"/>), an upgrade is asked for (returns the
    /// <see cref="UpgradeRequest"/>), or <paramref name="stopped"/> completes (returns null).
    /// </summary>
    private async Task<object?> NextLaunchAsync(ModelFile model, LaunchPlan current, Task changed, Task stopped, CancellationToken stoppingToken)
    {
        while (true)
        {
            var upgrade = _upgrade.Task;
            var woke = await Task.WhenAny(changed, stopped, upgrade).WaitAsync(stoppingToken);
            if (woke == stopped)
            {
                return null;
            }

            if (woke == upgrade)
            {
                _upgrade = new TaskCompletionSource<UpgradeRequest>(TaskCreationOptions.RunContinuationsAsynchronously);
                if (current.Mode == LaunchMode.Serve && current.RpcServers.Count == 0)
                {
                    return upgrade.Result;
                }

                upgrade.Result.Result.TrySetResult("this node does not serve its model alone (a split or a lent rpc-server)");
                continue;
            }

            changed = planner.NextChange;
            var next = planner.Plan(model, _backend.CanSplit);
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
        state.Publish(new ServedModel(model.Name, status, endpoint?.BaseAddress, model.SizeBytes, endpoint?.ContextLength ?? 0, _backend.Kind)
        {
            Direct = endpoint?.Direct,
        });

    [LoggerMessage(EventId = 5000, Level = LogLevel.Information, Message = "Loading model {Model} with the {Backend} backend ({SizeMb:F1} MB)")]
    private partial void LogLoading(string model, string backend, double sizeMb);

    [LoggerMessage(EventId = 5001, Level = LogLevel.Information, Message = "Model {Model} ready; engine at {Endpoint} after {ElapsedMs:F0} ms")]
    private partial void LogReady(string model, Uri endpoint, double elapsedMs);

    [LoggerMessage(EventId = 5006, Level = LogLevel.Information, Message = "Model {Model}: the plan changed ({Reason}); stopping the model server to relaunch")]
    private partial void LogReplanned(string model, string reason);

    [LoggerMessage(EventId = 5007, Level = LogLevel.Information, Message = "Upgrading {Old} to {New}: starting it next to the old one")]
    private partial void LogUpgrading(string old, string @new);

    [LoggerMessage(EventId = 5008, Level = LogLevel.Information, Message = "Upgraded {Old} to {New}: requests go to {New}, the old server drained and stopped")]
    private partial void LogUpgraded(string old, string @new);

    [LoggerMessage(EventId = 5009, Level = LogLevel.Warning, Message = "Upgrade of {Old} to {New} failed, {Old} keeps serving: {Reason}")]
    private partial void LogUpgradeFailed(string old, string @new, string reason);

    [LoggerMessage(EventId = 5005, Level = LogLevel.Information, Message = "Model {Model} dropped: stopped serving it; this node stays in the mesh")]
    private partial void LogDropped(string model);

    [LoggerMessage(EventId = 5002, Level = LogLevel.Error, Message = "Model {Model} could not be served: {Reason}")]
    private partial void LogFailed(string model, string reason);

    [LoggerMessage(EventId = 5004, Level = LogLevel.Warning, Message = "Model {Model} stopped serving: {Reason} Restarting in {DelaySeconds:F1} s (failure {Failures} of at most {MaxRestarts})")]
    private partial void LogRestarting(string model, string reason, double delaySeconds, int failures, int maxRestarts);
}
