using System.Net.Sockets;
using MeshLlm.Console;
using MeshLlm.Discovery;
using MeshLlm.Identity;
using MeshLlm.Inference;
using MeshLlm.Membership;
using MeshLlm.Planning;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace MeshLlm.Hosting;

/// <summary>
/// Runs this node's <see cref="MeshNode"/>: starts it (joining through <c>--join</c> tokens), tells the user the
/// invite token, mirrors <see cref="ServingState"/> into the node's announcement, and leaves the mesh on shutdown.
/// </summary>
/// <remarks>
/// A join refused by every token's node (wrong secret or key) stops the host with <see cref="FailureMessage"/>;
/// a join that merely found no node yet keeps running, since the node's rejoin loop retries. The container
/// owns and disposes the node after this service has stopped.
/// </remarks>
internal sealed partial class MeshService(
    MeshNode node, MeshSetup setup, ServingState serving, DemandTracker demand, NodeCapacity capacity, IOptions<DiscoveryOptions> discovery, IOptions<MembershipOptions> membership,
    IConsoleUi ui, IHostApplicationLifetime lifetime, TimeProvider time, ILogger<MeshService> logger, ListingPublisher? publisher = null)
    : BackgroundService
{
    private readonly TaskCompletionSource<JoinResult> _outcome = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private volatile string? _token;
    private volatile bool _started;

    public MeshNode Node => node;

    public DemandTracker Demand => demand;

    /// <summary>The invite token to join through this node, once it listens; null before and for passive clients.</summary>
    public string? Token => _token;

    /// <summary>Set when the mesh could not be joined or started; the host exits with it and <see cref="FailureExitCode"/>.</summary>
    public string? FailureMessage { get; private set; }

    public int FailureExitCode { get; private set; }

    /// <summary>How the node came into its mesh (started it, or joined); never completes when that failed.</summary>
    public Task<JoinResult> Outcome => _outcome.Task;

    public override Task StartAsync(CancellationToken cancellationToken)
    {
        serving.Changed += OnServingChanged;
        node.Joined += OnJoined;
        node.ClientDemandReceived += demand.Absorb;
        node.ClientDemandToReport = demand.TakeDeltas;
        OnServingChanged();
        return base.StartAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        JoinResult result;
        try
        {
            result = await node.StartAsync(stoppingToken);
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.AddressAlreadyInUse)
        {
            Fail("The mesh port (--bind-port) is already in use. Stop the other program or choose another port with --bind-port <n> (0 picks a free one).", ExitCodes.PortInUse);
            return;
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            return;
        }

        _started = true;
        if (setup.Auto && result is JoinResult.Pending or JoinResult.Refused)
        {
            var tried = setup.Joins.Count;
            if (node.IsClient)
            {
                Fail($"--auto --client: none of the {tried} mesh(es) found could be joined (last: {node.LastJoinError}). Try again later, or use --join TOKEN.", ExitCodes.JoinRefused);
                return;
            }

            ui.Warn($"None of the {tried} mesh(es) found could be joined (last: {node.LastJoinError}); starting a new mesh.");
            node.StartOwnMesh(MeshSetup.OwnCredentials(setup.Home, membership.Value.MeshName));
            result = JoinResult.Started;
        }

        if (result == JoinResult.Refused)
        {
            Fail($"Every --join token was refused by its node ({node.LastJoinError}). Ask a member for a current token ('mesh-llm token').",
                ExitCodes.JoinRefused);
            return;
        }

        if (result == JoinResult.Started)
        {
            RecordLastMesh(node.Mesh);
        }

        Announce(result);
        // Passive clients have no publisher.
        if (publisher is not null && (discovery.Value.Publish || (setup.Auto && result == JoinResult.Started)))
        {
            publisher.Enable(discovery.Value.Publish ? "--publish" : "--auto started a new mesh");
        }

        _outcome.TrySetResult(result);
        await PublishDemandAsync(stoppingToken);
    }

    /// <summary>Puts this node's request counters into its announcement, at most once a second.</summary>
    private async Task PublishDemandAsync(CancellationToken stoppingToken)
    {
        try
        {
            while (true)
            {
                await Task.Delay(TimeSpan.FromSeconds(1), time, stoppingToken);
                if (demand.TakeChanges() is { } counters)
                {
                    node.UpdateSelf(self => self with { Demand = counters });
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    private void Announce(JoinResult result)
    {
        var id = node.Id.ToShortString();
        var peers = node.Snapshot.Peers.Length;
        switch (result)
        {
            case JoinResult.Started:
                ui.Info($"Mesh {node.Mesh}: started a new mesh as node {id}.");
                break;
            case JoinResult.Joined when node.IsClient:
                ui.Info($"Mesh {node.Mesh}: joined as passive client {id}; {peers} node(s) in the routing table.");
                break;
            case JoinResult.Joined:
                ui.Info($"Mesh {node.Mesh}: joined as node {id}; {peers} peer(s).");
                break;
            default:
                ui.Warn($"Could not reach the node of any --join token yet; node {id} keeps retrying in the background (is that node running and reachable?).");
                break;
        }

        if (!node.IsClient)
        {
            _token = node.Token.Encode();
            ui.Info($"Invite token: {_token}");
        }

        LogMeshReady(logger, node.Mesh.Value, id, node.Snapshot.Self.Role, result.ToString().ToLowerInvariant(), node.Transport.Port);
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        serving.Changed -= OnServingChanged;
        node.Joined -= OnJoined;
        node.ClientDemandReceived -= demand.Absorb;
        await base.StopAsync(cancellationToken);
        if (_started)
        {
            await node.LeaveAsync();
        }
    }

    private void OnServingChanged() =>
        node.UpdateSelf(self => SelfAnnouncement.Apply(self, serving.Models, node.IsClient, capacity.UsableBytes));

    private void OnJoined(MeshId mesh)
    {
        // Passive clients use a mesh; they are not members, so last-mesh stays as it was.
        if (!node.IsClient)
        {
            RecordLastMesh(mesh);
        }
    }

    private void RecordLastMesh(MeshId mesh)
    {
        try
        {
            MeshFiles.WriteLastMesh(setup.Home, mesh);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            LogLastMeshFailed(logger, setup.Home, e.Message);
        }
    }

    private void Fail(string message, int exitCode)
    {
        FailureMessage = message;
        FailureExitCode = exitCode;
        LogMeshFailed(logger, message);
        lifetime.StopApplication();
    }

    [LoggerMessage(EventId = 8502, Level = LogLevel.Information, Message = "Mesh {Mesh} ready: node {Node} as {Role} ({Outcome}), mesh port {MeshPort}")]
    private static partial void LogMeshReady(ILogger logger, string mesh, string node, string role, string outcome, int meshPort);

    [LoggerMessage(EventId = 8503, Level = LogLevel.Critical, Message = "Mesh failed: {Reason}")]
    private static partial void LogMeshFailed(ILogger logger, string reason);

    [LoggerMessage(EventId = 8504, Level = LogLevel.Warning, Message = "Could not record the mesh in {Home}/last-mesh: {Reason}")]
    private static partial void LogLastMeshFailed(ILogger logger, string home, string reason);
}
