using MeshLlm.Inference;
using MeshLlm.Membership;
using MeshLlm.Models;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace MeshLlm.Planning;

/// <summary>
/// Announces the models on this node's disk and, for a node started without <c>--model</c>, decides what it
/// serves: at join (after <see cref="PlanningOptions.SettleDelay"/>) by <see cref="AssignmentPolicy.Choose"/>,
/// then as a standby by <see cref="AssignmentPolicy.Promote"/> on every membership change and every
/// <see cref="PlanningOptions.StandbyCheckInterval"/>. Every decision is logged with its reason.
/// </summary>
public sealed partial class AssignmentService(
    MeshNode node,
    ModelAssignment assignment,
    DemandTracker demand,
    NodeCapacity capacity,
    IOptions<InferenceOptions> inference,
    IOptions<PlanningOptions> options,
    TimeProvider time,
    ILogger<AssignmentService> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (node.IsClient)
        {
            return;
        }

        var onDisk = LocalModels.Scan();
        node.UpdateSelf(self => self with { ModelsOnDisk = [.. onDisk.Select(m => m.Name)] });
        if (inference.Value.ModelPath is not null || assignment.IsAssigned)
        {
            return;
        }

        try
        {
            await Task.Delay(options.Value.SettleDelay, time, stoppingToken);
            if (assignment.IsAssigned || Decide(onDisk, joining: true))
            {
                // Assigned here, or meanwhile by --auto (its starter or a fetched model).
                return;
            }

            LogStandby(logger, onDisk.Count, string.Join(", ", onDisk.Select(m => m.IsDraft ? m.Name + " (draft)" : m.Name)));
            await WatchAsStandbyAsync(onDisk, stoppingToken);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    private async Task WatchAsStandbyAsync(IReadOnlyList<LocalModel> onDisk, CancellationToken stoppingToken)
    {
        while (true)
        {
            var changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            void OnChanged(MembershipSnapshot _) => changed.TrySetResult();
            node.Changed += OnChanged;
            try
            {
                await Task.WhenAny(changed.Task, Task.Delay(options.Value.StandbyCheckInterval, time, stoppingToken));
                stoppingToken.ThrowIfCancellationRequested();
            }
            finally
            {
                node.Changed -= OnChanged;
            }

            if (assignment.IsAssigned || Decide(onDisk, joining: false))
            {
                return;
            }
        }
    }

    private bool Decide(IReadOnlyList<LocalModel> onDisk, bool joining)
    {
        var snapshot = node.Snapshot;
        var rates = demand.RatesPerMinute(demand.MeshDemand(snapshot));
        var decision = joining
            ? AssignmentPolicy.Choose(snapshot, onDisk, capacity.UsableBytes, rates)
            : AssignmentPolicy.Promote(snapshot, onDisk, capacity.UsableBytes, rates);
        if (decision is null || !assignment.TryAssign(decision.Model.Path))
        {
            return false;
        }

        LogAssigned(logger, decision.Model.Name, joining ? "assigned" : "promoted from standby", decision.Reason);
        return true;
    }

    [LoggerMessage(EventId = 4001, Level = LogLevel.Information, Message = "Serving {Model} ({How}): {Reason}")]
    private static partial void LogAssigned(ILogger logger, string model, string how, string reason);

    [LoggerMessage(EventId = 4002, Level = LogLevel.Information, Message = "Standby: nothing to serve yet ({Count} model(s) on disk: {Models}); proxying requests and watching for unserved wanted models and demand")]
    private static partial void LogStandby(ILogger logger, int count, string models);
}
