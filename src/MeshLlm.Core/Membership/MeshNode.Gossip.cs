using MeshLlm.Identity;
using MeshLlm.Membership.Messages;
using MeshLlm.Transport;

namespace MeshLlm.Membership;

public sealed partial class MeshNode
{
    private static readonly TimeSpan s_linger = TimeSpan.FromSeconds(2);

    private readonly Dictionary<ChannelType, Func<MeshChannel, Task>> _extraHandlers = [];

    /// <summary>Lets another component (tunnels) handle a channel type; membership's own types cannot be taken.</summary>
    public void SetChannelHandler(ChannelType type, Func<MeshChannel, Task> handler)
    {
        if (type is not (ChannelType.HttpTunnel or ChannelType.RpcTunnel))
        {
            throw new ArgumentException($"{type} channels belong to membership.", nameof(type));
        }

        lock (_lock)
        {
            _extraHandlers[type] = handler;
        }
    }

    /// <summary>Opens a channel to <paramref name="peer"/>, dialing it first when there is no connection yet.</summary>
    public async Task<MeshChannel> OpenChannelAsync(NodeId peer, ChannelType type, CancellationToken cancellationToken)
    {
        if (!Transport.TryGetConnection(peer, out var connection))
        {
            var addresses = Snapshot.Find(peer)?.Announcement.Addresses ?? [];
            using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            cts.CancelAfter(_transportOptions.ConnectTimeout + _transportOptions.HandshakeTimeout);
            connection = await Transport.ConnectAsync(peer, addresses, fresh: false, cts.Token);
        }

        return await connection.OpenChannelAsync(type, _transportOptions.ChannelOpenTimeout, cancellationToken);
    }

    /// <summary>Another component saw <paramref name="peer"/> fail (a broken tunnel): suspect it and check.</summary>
    public void ReportFailure(NodeId peer, string reason)
    {
        if (!IsClient)
        {
            Suspect(peer, reason);
        }
    }

    private Task HandleChannelAsync(MeshChannel channel) => channel.Type switch
    {
        ChannelType.HttpTunnel or ChannelType.RpcTunnel when ExtraHandler(channel.Type) is { } handler => handler(channel),
        ChannelType.Gossip when !channel.Connection.RemoteIsClient => OnGossipAsync(channel),
        ChannelType.Ping => OnPingAsync(channel),
        ChannelType.PeerDown when !channel.Connection.RemoteIsClient => OnPeerDownAsync(channel),
        ChannelType.PeerLeaving => OnLeavingAsync(channel),
        ChannelType.RoutingTable when !IsClient => OnRoutingRequestAsync(channel),
        _ => channel.DisposeAsync().AsTask(),
    };

    private Func<MeshChannel, Task>? ExtraHandler(ChannelType type)
    {
        lock (_lock)
        {
            return _extraHandlers.GetValueOrDefault(type);
        }
    }

    /// <summary>Sends our entries (all of them when <paramref name="full"/>) and merges what comes back.</summary>
    private async Task ExchangeAsync(MeshConnection connection, bool full, IReadOnlyList<PeerAnnouncement>? entries, CancellationToken cancellationToken)
    {
        var channel = await connection.OpenChannelAsync(ChannelType.Gossip, _transportOptions.ChannelOpenTimeout, cancellationToken);
        GossipFrame? reply;
        try
        {
            var frame = new GossipFrame(FrameVersion, full, full ? AllEntries() : entries ?? []);
            await channel.WriteFrameAsync(frame, MembershipJsonContext.Default.GossipFrame, cancellationToken);
            LogFrame(_logger, "sent", "gossip", connection.Remote.ToShortString(), frame.Entries.Count);
            reply = await channel.ReadFrameAsync(MembershipJsonContext.Default.GossipFrame, cancellationToken);
        }
        finally
        {
            await channel.CloseAsync(s_linger, _time);
        }

        if (reply is null)
        {
            throw new IOException($"{connection.Remote.ToShortString()} closed the gossip channel without answering.");
        }

        MergeAll(reply.Entries, connection);
    }

    private async Task OnGossipAsync(MeshChannel channel)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token);
        cts.CancelAfter(_transportOptions.ChannelOpenTimeout);
        var frame = await channel.ReadFrameAsync(MembershipJsonContext.Default.GossipFrame, cts.Token);
        if (frame is null)
        {
            return;
        }

        LogFrame(_logger, "received", "gossip", channel.Connection.Remote.ToShortString(), frame.Entries.Count);
        MergeAll(frame.Entries, channel.Connection);
        var reply = new GossipFrame(FrameVersion, false, frame.Full ? AllEntries() : []);
        await channel.WriteFrameAsync(reply, MembershipJsonContext.Default.GossipFrame, cts.Token);
        await channel.CloseAsync(s_linger, _time);
    }

    /// <summary>Merges entries from <paramref name="source"/>; forwards what was new; dials peers we just learned of.</summary>
    private void MergeAll(IReadOnlyList<PeerAnnouncement> entries, MeshConnection source)
    {
        var accepted = new List<PeerAnnouncement>();
        var added = new List<PeerAnnouncement>();
        var deadButSeen = new List<NodeId>();
        var selfSeen = false;
        var revived = false;
        lock (_lock)
        {
            foreach (var entry in entries.Take(10_000))
            {
                // A dead peer's own announcement can arrive before its new connection is reported: that is a reconnect too.
                var wasDead = NodeIdOf(entry) == source.Remote && _table.IsDead(source.Remote);
                var outcome = _table.Merge(entry, source.Remote);
                switch (outcome)
                {
                    case MergeOutcome.Added:
                        added.Add(entry);
                        accepted.Add(entry);
                        revived |= wasDead;
                        break;
                    case MergeOutcome.Updated:
                        accepted.Add(entry);
                        break;
                    case MergeOutcome.Dead:
                        deadButSeen.Add(NodeIdOf(entry));
                        break;
                    case MergeOutcome.Self when entry.Seq > _self.Seq:
                        // Someone holds a later announcement of ours (an earlier run with a faster clock): outrank it.
                        _self = _self with { Seq = entry.Seq };
                        selfSeen = true;
                        break;
                }
            }
        }

        if (revived)
        {
            LogReconnected(_logger, source.Remote.ToShortString());
        }

        foreach (var entry in added)
        {
            LogPeerUp(_logger, entry.Id[..10], entry.Role, entry.Serving ?? "-", source.Remote.ToShortString());
        }

        if (accepted.Count > 0)
        {
            Publish();
            // Epidemic forwarding: a few random peers, not all (that would cost (N-1)² exchanges per change).
            Push(accepted, except: source.Remote, fanout: _options.GossipFanout);
        }

        if (selfSeen || revived)
        {
            // Others may have buried this node too while we were apart: outrank the announcement they hold.
            BumpSelf();
        }

        // One side dials a newly learned peer, not both: the lower id, or whoever the other cannot dial.
        var selfDialable = Transport.Addresses.Count > 0;
        foreach (var entry in added.Where(e => NodeIdOf(e) != source.Remote && (Id < NodeIdOf(e) || !selfDialable)))
        {
            _ = DialAsync(NodeIdOf(entry), entry.Addresses, "learned from " + source.Remote.ToShortString());
        }

        // A third party still sees a node we buried: check for ourselves rather than trusting either side.
        foreach (var id in deadButSeen)
        {
            IReadOnlyList<string> addresses;
            lock (_lock)
            {
                addresses = _table.DeadPeers.FirstOrDefault(d => d.Id == id)?.Addresses ?? [];
            }

            _ = DialAsync(id, addresses, "seen alive by " + source.Remote.ToShortString());
        }
    }

    /// <summary>Pushes <paramref name="entries"/> to every connected peer but <paramref name="except"/>, or to <paramref name="fanout"/> random ones.</summary>
    private void Push(IReadOnlyList<PeerAnnouncement> entries, NodeId? except, int fanout = int.MaxValue)
    {
        if (IsClient)
        {
            return;
        }

        var targets = Transport.Connections.Where(c => !c.RemoteIsClient && c.Remote != except).ToArray();
        if (targets.Length > fanout)
        {
            Random.Shared.Shuffle(targets);
            targets = targets[..fanout];
        }

        foreach (var connection in targets)
        {
            _ = TryExchangeAsync(connection, full: false, entries);
        }
    }

    private async Task TryExchangeAsync(MeshConnection connection, bool full, IReadOnlyList<PeerAnnouncement>? entries)
    {
        try
        {
            await ExchangeAsync(connection, full, entries, _stopping.Token);
        }
        catch (Exception e) when (e is IOException or TimeoutException or OperationCanceledException or MeshProtocolException or ObjectDisposedException)
        {
            LogGossipFailed(_logger, connection.Remote.ToShortString(), e.Message);
        }
    }

    /// <summary>Connects to a peer (unless connected or already being dialed) and exchanges full tables.</summary>
    private async Task<bool> DialAsync(NodeId peer, IReadOnlyList<string> addresses, string why)
    {
        if (peer == Id || IsClient || addresses.Count == 0 || Transport.TryGetConnection(peer, out _) || !TryBeginBusy(peer))
        {
            return false;
        }

        try
        {
            using var cts = CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token);
            cts.CancelAfter(_transportOptions.ConnectTimeout + _transportOptions.HandshakeTimeout);
            var connection = await Transport.ConnectAsync(peer, addresses, fresh: false, cts.Token);
            await ExchangeAsync(connection, full: true, null, cts.Token);
            return true;
        }
        catch (Exception e) when (e is MeshConnectException or IOException or TimeoutException or OperationCanceledException or MeshProtocolException or ObjectDisposedException)
        {
            LogDialFailed(_logger, peer.ToShortString(), why, e.Message);
            bool suspected;
            lock (_lock)
            {
                suspected = _table.TryGet(peer, out var record) && record.Health == PeerHealth.Suspected;
            }

            if (suspected && !_stopping.IsCancellationRequested)
            {
                // This dial was the confirmation a suspicion waits for.
                DeclareDead(peer, "suspected, and a fresh dial failed (" + e.Message + ")");
            }

            return false;
        }
        finally
        {
            EndBusy(peer);
        }
    }

    private async Task OnGossipTick()
    {
        var connections = Transport.Connections.Where(c => !c.RemoteIsClient).ToList();
        if (IsClient)
        {
            await RefreshRoutingTableAsync();
        }
        else if (connections.Count > 0)
        {
            await TryExchangeAsync(connections[Random.Shared.Next(connections.Count)], full: true, null);
        }
    }
}
