using MeshLlm.Identity;
using MeshLlm.Membership.Messages;
using MeshLlm.Transport;

namespace MeshLlm.Membership;

public sealed partial class MeshNode
{
    private long _pings;

    private Task OnPingTick()
    {
        List<(PeerRecord Peer, MeshConnection? Connection)> peers;
        lock (_lock)
        {
            _table.ExpireDead();
            peers = [.. _table.Peers.Select(p => (p, Transport.TryGetConnection(p.Id, out var c) ? c : null))];
        }

        foreach (var (peer, connection) in peers)
        {
            _ = connection is null ? RedialAsync(peer.Id, peer.Announcement.Addresses) : PingAsync(peer.Id, connection);
        }

        return Task.CompletedTask;
    }

    /// <summary>A known peer we hold no connection to: dial it; an unanswered dial counts as a missed ping.</summary>
    private async Task RedialAsync(NodeId peer, IReadOnlyList<string> addresses)
    {
        if (addresses.Count > 0 && !await DialAsync(peer, addresses, "not connected") && !Transport.TryGetConnection(peer, out _) && !IsBusy(peer))
        {
            OnPingMissed(peer, "not connected, and dialing it failed");
        }
    }

    private async Task PingAsync(NodeId peer, MeshConnection connection)
    {
        var start = _time.GetTimestamp();
        try
        {
            using var cts = CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token);
            cts.CancelAfter(_options.PingTimeout);
            var channel = await connection.OpenChannelAsync(ChannelType.Ping, _options.PingTimeout, cts.Token);
            await using (channel)
            {
                await channel.WriteFrameAsync(new PingFrame(FrameVersion, Interlocked.Increment(ref _pings)), MembershipJsonContext.Default.PingFrame, cts.Token);
                _ = await channel.ReadFrameAsync(MembershipJsonContext.Default.PingFrame, cts.Token) ?? throw new IOException("ping channel closed");
            }
        }
        catch (Exception e) when (e is IOException or TimeoutException or OperationCanceledException or MeshProtocolException or ObjectDisposedException)
        {
            if (!_stopping.IsCancellationRequested)
            {
                OnPingMissed(peer, e.Message);
            }

            return;
        }

        OnPong(peer, _time.GetElapsedTime(start).TotalMilliseconds);
    }

    private void OnPong(NodeId peer, double rttMs)
    {
        bool recovered;
        lock (_lock)
        {
            if (!_table.TryGet(peer, out var record))
            {
                return;
            }

            recovered = record.Health == PeerHealth.Suspected;
            record.Health = PeerHealth.Alive;
            record.MissedPings = 0;
            record.RttMs = Math.Round(rttMs, 2);
            record.LastHeard = _time.GetTimestamp();
        }

        if (recovered)
        {
            LogRecovered(_logger, peer.ToShortString(), rttMs);
        }

        Publish();
    }

    private void OnPingMissed(NodeId peer, string why)
    {
        int missed;
        lock (_lock)
        {
            if (!_table.TryGet(peer, out var record))
            {
                return;
            }

            missed = ++record.MissedPings;
        }

        LogPingMissed(_logger, peer.ToShortString(), missed, _options.MissedPings, why);
        if (missed >= _options.MissedPings)
        {
            Suspect(peer, $"missed {missed} pings");
        }
    }

    /// <summary>Marks a peer suspected and confirms with a fresh dial before declaring it dead.</summary>
    private void Suspect(NodeId peer, string reason)
    {
        bool already;
        lock (_lock)
        {
            if (!_table.TryGet(peer, out var record) || _stopping.IsCancellationRequested)
            {
                return;
            }

            already = record.Health == PeerHealth.Suspected;
            record.Health = PeerHealth.Suspected;
        }

        if (!already)
        {
            LogSuspected(_logger, peer.ToShortString(), reason);
            Publish();
        }

        _ = ConfirmAsync(peer, reason);
    }

    private async Task ConfirmAsync(NodeId peer, string reason)
    {
        if (!TryBeginBusy(peer))
        {
            return;
        }

        try
        {
            IReadOnlyList<string> addresses;
            lock (_lock)
            {
                addresses = _table.TryGet(peer, out var record) ? record.Announcement.Addresses : [];
            }

            if (addresses.Count == 0)
            {
                // Outbound-only peer: it can only come back by dialing us.
                await Task.Delay(_options.PingInterval * _options.MissedPings, _time, _stopping.Token);
                if (!Transport.TryGetConnection(peer, out _))
                {
                    DeclareDead(peer, reason + "; it did not reconnect");
                }

                return;
            }

            using var cts = CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token);
            cts.CancelAfter(_options.ConfirmTimeout);
            var connection = await Transport.ConnectAsync(peer, addresses, fresh: true, cts.Token);
            await ExchangeAsync(connection, full: true, null, cts.Token);
            OnPong(peer, 0);
        }
        catch (Exception e) when (e is MeshConnectException or IOException or TimeoutException or OperationCanceledException or MeshProtocolException or ObjectDisposedException)
        {
            if (!_stopping.IsCancellationRequested)
            {
                DeclareDead(peer, $"{reason}; a fresh dial failed ({e.Message})");
            }
        }
        finally
        {
            EndBusy(peer);
        }
    }

    private void DeclareDead(NodeId peer, string reason)
    {
        long seq;
        lock (_lock)
        {
            if (!_table.TryGet(peer, out var record))
            {
                return;
            }

            seq = record.Announcement.Seq;
            _table.MarkDead(peer);
        }

        LogDead(_logger, peer.ToShortString(), reason);
        Publish();
        if (Transport.TryGetConnection(peer, out var stale))
        {
            _ = stale.DisposeAsync().AsTask();
        }

        foreach (var connection in Transport.Connections.Where(c => !c.RemoteIsClient && c.Remote != peer))
        {
            _ = SendPeerDownAsync(connection, new PeerDownFrame(FrameVersion, peer.Hex, seq));
        }
    }

    private async Task SendPeerDownAsync(MeshConnection connection, PeerDownFrame frame)
    {
        try
        {
            var channel = await connection.OpenChannelAsync(ChannelType.PeerDown, _transportOptions.ChannelOpenTimeout, _stopping.Token);
            await channel.WriteFrameAsync(frame, MembershipJsonContext.Default.PeerDownFrame, _stopping.Token);
            await channel.CloseAsync(s_linger, _time);
        }
        catch (Exception e) when (e is IOException or TimeoutException or OperationCanceledException or ObjectDisposedException)
        {
        }
    }

    /// <summary>A peer says someone died. Believe only our own check: a forged or mistaken report changes nothing.</summary>
    private async Task OnPeerDownAsync(MeshChannel channel)
    {
        var frame = await channel.ReadFrameAsync(MembershipJsonContext.Default.PeerDownFrame, _stopping.Token);
        await channel.CloseAsync(s_linger, _time);
        if (frame is null || !NodeId.TryParse(frame.Id, out var subject))
        {
            return;
        }

        var reporter = channel.Connection.Remote.ToShortString();
        if (subject == Id)
        {
            LogReportedDead(_logger, "this node", reporter, "announcing that it is alive");
            BumpSelf();
            return;
        }

        bool recentlyHeard;
        lock (_lock)
        {
            if (!_table.TryGet(subject, out var record))
            {
                return;
            }

            recentlyHeard = Transport.TryGetConnection(subject, out _) && _time.GetElapsedTime(record.LastHeard) < _options.PingInterval * 2;
        }

        if (recentlyHeard)
        {
            LogReportedDead(_logger, subject.ToShortString(), reporter, "it answered our pings recently; ignoring");
            return;
        }

        LogReportedDead(_logger, subject.ToShortString(), reporter, "checking");
        Suspect(subject, "reported dead by " + reporter);
    }

    /// <summary>A leave message is always about its sender, whatever it carries.</summary>
    private async Task OnLeavingAsync(MeshChannel channel)
    {
        var leaver = channel.Connection.Remote;
        bool known;
        lock (_lock)
        {
            known = _table.MarkDead(leaver, left: true);
        }

        await channel.CloseAsync(TimeSpan.FromMilliseconds(200), _time);

        if (known)
        {
            LogPeerLeft(_logger, leaver.ToShortString());
            Publish();
        }

        await channel.Connection.DisposeAsync();
    }

    private async Task OnPingAsync(MeshChannel channel)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token);
        cts.CancelAfter(_options.PingTimeout);
        var frame = await channel.ReadFrameAsync(MembershipJsonContext.Default.PingFrame, cts.Token);
        if (frame is not null)
        {
            await channel.WriteFrameAsync(frame, MembershipJsonContext.Default.PingFrame, cts.Token);
        }

        // Disposing right after writing may drop the reply: half-close and let the pinger finish.
        await channel.CloseAsync(_options.PingTimeout, _time);
    }

    private void OnConnectionAdded(MeshConnection connection)
    {
        if (connection.RemoteIsClient)
        {
            Publish();
            return;
        }

        bool revived;
        lock (_lock)
        {
            revived = _table.Revive(connection.Remote);
            if (_table.TryGet(connection.Remote, out var record))
            {
                record.Health = PeerHealth.Alive;
                record.MissedPings = 0;
                record.LastHeard = _time.GetTimestamp();
            }
        }

        if (revived)
        {
            LogReconnected(_logger, connection.Remote.ToShortString());
            // Others may have buried this node too while we were apart: outrank the announcement they hold.
            BumpSelf();
        }

        Publish();
        if (IsClient)
        {
            _ = RefreshRoutingTableAsync();
        }
    }

    private void OnConnectionRemoved(MeshConnection connection)
    {
        if (connection.RemoteIsClient || IsClient)
        {
            Publish();
            return;
        }

        Suspect(connection.Remote, "connection closed");
    }
}
