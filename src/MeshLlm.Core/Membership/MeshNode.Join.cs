using MeshLlm.Identity;
using MeshLlm.Membership.Messages;
using MeshLlm.Transport;

namespace MeshLlm.Membership;

public sealed partial class MeshNode
{
    private int _joined;

    /// <summary>Why the last token tried at start did not work (null when none failed).</summary>
    public string? LastJoinError { get; private set; }

    /// <summary>Raised once, when this node first joins a mesh through a token (at start or by the rejoin loop).</summary>
    public event Action<MeshId>? Joined;

    private async Task<JoinResult> JoinAsync(CancellationToken cancellationToken)
    {
        var refused = 0;
        foreach (var token in _joins)
        {
            if (token.Node == Id)
            {
                // This node's own token (an --auto listing left by its earlier run): there is nobody to join there.
                LastJoinError = $"{token.Node.ToShortString()}: that is this node";
                LogJoinFailed(_logger, token.Node.ToShortString(), "the token is this node's own");
                continue;
            }

            try
            {
                await JoinOneAsync(token, cancellationToken);
                return JoinResult.Joined;
            }
            catch (Exception e) when (e is MeshConnectException or IOException or TimeoutException or MeshProtocolException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
            {
                refused += e is MeshConnectException { Rejected: true } ? 1 : 0;
                LastJoinError = $"{token.Node.ToShortString()}: {e.Message}";
                LogJoinFailed(_logger, token.Node.ToShortString(), e.Message);
            }
        }

        return refused > 0 && refused == _joins.Count(t => t.Node != Id) ? JoinResult.Refused : JoinResult.Pending;
    }

    private async Task JoinOneAsync(InviteToken token, CancellationToken cancellationToken)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token, cancellationToken);
        cts.CancelAfter(_transportOptions.ConnectTimeout + _transportOptions.HandshakeTimeout);
        if (_joined == 0)
        {
            // Until a token works, prove the secret of the one being tried and call its mesh ours.
            Transport.JoinSecret = token.Secret;
            Transport.MeshName = token.Mesh.Value;
            Mesh = token.Mesh;
            lock (_lock)
            {
                _self = _self with { Mesh = token.Mesh.Value };
            }
        }

        var connection = await Transport.ConnectAsync(token.Node, token.Addresses, fresh: false, cts.Token);
        if (IsClient)
        {
            await FetchRoutingTableAsync(connection, cts.Token);
        }
        else
        {
            await ExchangeAsync(connection, full: true, null, cts.Token);
        }

        if (Interlocked.Exchange(ref _joined, 1) == 0)
        {
            // Tokens of other meshes (--auto tries several) are no longer ours to redial.
            lock (_lock)
            {
                _joins = [.. _joins.Where(t => t.Mesh == Mesh)];
            }

            LogJoined(_logger, Mesh.Value, token.Node.ToShortString(), Snapshot.Peers.Length);
            Joined?.Invoke(Mesh);
        }
    }

    /// <summary>Redials <c>--join</c> tokens whose node is not connected, and dead peers that did not leave (partitions heal this way).</summary>
    private async Task OnRejoinTick()
    {
        foreach (var token in _joins.Where(t => t.Node != Id && !Transport.TryGetConnection(t.Node, out _)))
        {
            if (!TryBeginBusy(token.Node))
            {
                continue;
            }

            try
            {
                await JoinOneAsync(token, _stopping.Token);
            }
            catch (Exception e) when (e is MeshConnectException or IOException or TimeoutException or MeshProtocolException or OperationCanceledException && !_stopping.IsCancellationRequested)
            {
                LogDialFailed(_logger, token.Node.ToShortString(), "rejoin", e.Message);
            }
            finally
            {
                EndBusy(token.Node);
            }
        }

        List<DeadRecord> dead;
        lock (_lock)
        {
            dead = [.. _table.DeadPeers.Where(d => !d.Left)];
        }

        foreach (var peer in dead)
        {
            _ = DialAsync(peer.Id, peer.Addresses, "was dead");
        }
    }

    private async Task OnRoutingRequestAsync(MeshChannel channel)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token);
        cts.CancelAfter(_transportOptions.ChannelOpenTimeout);
        if (await channel.ReadFrameAsync(MembershipJsonContext.Default.RoutingRequestFrame, cts.Token) is not { } request)
        {
            return;
        }

        if (request.Demand is { Count: > 0 } demand)
        {
            ClientDemandReceived?.Invoke(demand);
        }

        var table = new RoutingTableFrame(FrameVersion, Mesh.Value, AllEntries());
        await channel.WriteFrameAsync(table, MembershipJsonContext.Default.RoutingTableFrame, cts.Token);
        await channel.CloseAsync(s_linger, _time);
    }

    /// <summary>Passive clients: asks a connected node for the routing table and replaces ours with it.</summary>
    private async Task FetchRoutingTableAsync(MeshConnection connection, CancellationToken cancellationToken)
    {
        var channel = await connection.OpenChannelAsync(ChannelType.RoutingTable, _transportOptions.ChannelOpenTimeout, cancellationToken);
        RoutingTableFrame? table;
        try
        {
            await channel.WriteFrameAsync(new RoutingRequestFrame(FrameVersion, ClientDemandToReport?.Invoke()), MembershipJsonContext.Default.RoutingRequestFrame, cancellationToken);
            table = await channel.ReadFrameAsync(MembershipJsonContext.Default.RoutingTableFrame, cancellationToken);
        }
        finally
        {
            await channel.CloseAsync(s_linger, _time);
        }

        if (table is null)
        {
            throw new IOException($"{connection.Remote.ToShortString()} closed the routing-table channel without answering.");
        }

        lock (_lock)
        {
            _routingTable = [.. table.Nodes.Where(n => NodeId.TryParse(n.Id, out var id) && id != Id && n.Role != PeerRoles.Client).Take(10_000)];
        }

        LogRoutingTable(_logger, connection.Remote.ToShortString(), table.Nodes.Count);
        Publish();
    }

    /// <summary>Passive clients: the requests routed since the last report, sent with each routing-table request.</summary>
    public Func<IReadOnlyDictionary<string, ModelDemand>?>? ClientDemandToReport { get; set; }

    /// <summary>Members: a client reported requests it routed; they count as this node's.</summary>
    public event Action<IReadOnlyDictionary<string, ModelDemand>>? ClientDemandReceived;

    /// <summary>Passive clients: fetches a fresh routing table now (routing calls this before saying a model does not exist).</summary>
    public Task RefreshAsync() => IsClient ? RefreshRoutingTableAsync() : Task.CompletedTask;

    private async Task RefreshRoutingTableAsync()
    {
        if (Transport.Connections is not [var connection, ..])
        {
            return;
        }

        try
        {
            await FetchRoutingTableAsync(connection, _stopping.Token);
        }
        catch (Exception e) when (e is IOException or TimeoutException or MeshProtocolException or OperationCanceledException or ObjectDisposedException)
        {
            LogGossipFailed(_logger, connection.Remote.ToShortString(), e.Message);
        }
    }
}
