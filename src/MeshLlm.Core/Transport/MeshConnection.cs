using MeshLlm.Identity;

namespace MeshLlm.Transport;

/// <summary>
/// An authenticated TLS connection to one peer, multiplexed into channels by a <see cref="MeshMux"/>.
/// Either side opens channels; the first byte of each names its <see cref="ChannelType"/>.
/// </summary>
public sealed class MeshConnection : IAsyncDisposable
{
    private static long s_serials;

    /// <summary>Malformed frames or unknown channel types a peer may send before we hang up on it.</summary>
    internal const int MaxStrikes = 10;

    private int _strikes;

    private readonly MeshMux _mux;
    private readonly TaskCompletionSource _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TimeProvider _time;

    internal MeshConnection(MeshMux mux, NodeId local, NodeId remote, bool outbound, bool remoteIsClient, string remoteEndPoint, TimeProvider time)
    {
        _mux = mux;
        _time = time;
        Local = local;
        Remote = remote;
        Outbound = outbound;
        RemoteIsClient = remoteIsClient;
        RemoteEndPoint = remoteEndPoint;
        EstablishedAt = time.GetTimestamp();
        Serial = Interlocked.Increment(ref s_serials);
        // A dead transport shows on channels as a clean end of stream; only the mux's completion tells.
        _ = mux.Completion.ContinueWith(t => _closed.TrySetResult(), TaskScheduler.Default);
    }

    /// <summary>Process-unique number, so an old connection's cleanup never removes a newer one.</summary>
    public long Serial { get; }

    public NodeId Local { get; }

    public NodeId Remote { get; }

    /// <summary>True when this node dialed the connection.</summary>
    public bool Outbound { get; }

    /// <summary>The node that dialed: the duplicate-connection rule keeps the lower one's.</summary>
    public NodeId Dialer => Outbound ? Local : Remote;

    /// <summary>The remote is a passive client: never a peer, no gossip, no pings from us.</summary>
    public bool RemoteIsClient { get; }

    public string RemoteEndPoint { get; }

    /// <summary><see cref="TimeProvider"/> timestamp of when the handshake finished.</summary>
    public long EstablishedAt { get; }

    /// <summary>Completes (never faults) when the connection is gone, for any reason.</summary>
    public Task Closed => _closed.Task;

    public bool IsClosed => _closed.Task.IsCompleted;

    /// <summary>Opens a channel of <paramref name="type"/>; fails after <paramref name="timeout"/> if the peer does not accept it.</summary>
    public async Task<MeshChannel> OpenChannelAsync(ChannelType type, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        cts.CancelAfter(timeout);
        MuxChannel channel;
        try
        {
            channel = await _mux.OpenAsync(cts.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"{Remote.ToShortString()} did not accept a {type} channel within {timeout.TotalSeconds:0.#} s.");
        }
        catch (IOException e)
        {
            throw new IOException($"Connection to {Remote.ToShortString()} is closed.", e);
        }

        var result = new MeshChannel(this, type, channel);
        await channel.Output.WriteAsync(new[] { (byte)type }, cancellationToken);
        return result;
    }

    /// <summary>Accepts channels until the connection ends, handing each to <paramref name="handler"/> after its type byte.</summary>
    internal async Task AcceptChannelsAsync(Func<MeshChannel, Task> handler, Action<MeshConnection, string> onBadChannel)
    {
        while (!IsClosed)
        {
            MuxChannel channel;
            try
            {
                channel = await _mux.AcceptAsync(CancellationToken.None);
            }
            catch (InvalidOperationException)
            {
                if (_mux.Error is MeshProtocolException e)
                {
                    onBadChannel(this, e.Message + "; connection closed");
                }

                return;
            }

            _ = DispatchAsync(channel, handler, onBadChannel);
        }
    }

    private async Task DispatchAsync(MuxChannel channel, Func<MeshChannel, Task> handler, Action<MeshConnection, string> onBadChannel)
    {
        try
        {
            var read = await channel.Input.ReadAtLeastAsync(1);
            if (read.Buffer.IsEmpty)
            {
                channel.Abort();
                return;
            }

            var type = (ChannelType)read.Buffer.FirstSpan[0];
            channel.Input.AdvanceTo(read.Buffer.GetPosition(1));
            if (!Enum.IsDefined(type))
            {
                channel.Abort();
                throw new MeshProtocolException($"unknown channel type 0x{(byte)type:x2}");
            }

            await using var mesh = new MeshChannel(this, type, channel);
            await handler(mesh);
        }
        catch (MeshProtocolException e)
        {
            onBadChannel(this, e.Message);
            if (Interlocked.Increment(ref _strikes) >= MaxStrikes)
            {
                onBadChannel(this, $"{MaxStrikes} protocol violations; closing the connection");
                await DisposeAsync();
            }
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or OperationCanceledException or InvalidOperationException or TimeoutException)
        {
            // The connection went away under the channel; its closure is handled by whoever watches Closed.
        }
    }

    /// <summary>Closes the connection now (the peer sees it end).</summary>
    public async ValueTask DisposeAsync()
    {
        _closed.TrySetResult();
        try
        {
            await _mux.DisposeAsync();
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or OperationCanceledException)
        {
        }
    }

    /// <summary>Seconds since the handshake finished.</summary>
    public TimeSpan Age => _time.GetElapsedTime(EstablishedAt);

    public override string ToString() => $"{Remote.ToShortString()}#{Serial}({(Outbound ? "out" : "in")})";
}
