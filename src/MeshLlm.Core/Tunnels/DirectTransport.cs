using System.IO.Pipelines;
using System.Net;
using System.Threading.Channels;
using MeshLlm.Inference;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Http.Features;

namespace MeshLlm.Tunnels;

/// <summary>
/// A Kestrel transport without sockets, for a model server in this process (the embedded engine): an HTTP tunnel
/// hands its channel over (<see cref="IDirectConnections"/>), so a request from another node reaches the server
/// without the loopback TCP hop (a wake-up and four system calls less each way). Register it as an
/// <c>IConnectionListenerFactory</c> after the socket transport and <c>Listen(DirectTransport.EndPoint)</c> next to
/// the loopback socket; Kestrel runs HTTP/1.1, its limits and its timeouts on it as on any socket.
/// </summary>
public sealed class DirectTransport : IConnectionListenerFactory, IConnectionListenerFactorySelector, IDirectConnections
{
    /// <summary>The end point to pass to Kestrel's <c>Listen</c>.</summary>
    public static readonly EndPoint EndPoint = new DirectEndPoint();

    private readonly Channel<DirectConnection> _incoming = Channel.CreateUnbounded<DirectConnection>();

    public bool CanBind(EndPoint endpoint) => endpoint is DirectEndPoint;

    public ValueTask<IConnectionListener> BindAsync(EndPoint endpoint, CancellationToken cancellationToken) =>
        new(new Listener(this));

    public Task ServeAsync(IDuplexPipe connection, Task peerGone, Action abort)
    {
        var accepted = new DirectConnection(connection, abort);
        if (!_incoming.Writer.TryWrite(accepted))
        {
            return Task.FromException(new InvalidOperationException("The engine's server has stopped."));
        }

        peerGone.ContinueWith(_ => accepted.OnPeerGone(), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        return accepted.Done;
    }

    /// <summary>Stops accepting; connections handed over but not yet accepted are reset.</summary>
    private void Stop()
    {
        _incoming.Writer.TryComplete();
        while (_incoming.Reader.TryRead(out var pending))
        {
            pending.Abort();
            pending.Release();
        }
    }

    private sealed class DirectEndPoint : EndPoint
    {
        public override string ToString() => "mesh-tunnels";
    }

    private sealed class Listener(DirectTransport transport) : IConnectionListener
    {
        public EndPoint EndPoint => DirectTransport.EndPoint;

        public async ValueTask<ConnectionContext?> AcceptAsync(CancellationToken cancellationToken = default)
        {
            try
            {
                return await transport._incoming.Reader.ReadAsync(cancellationToken);
            }
            catch (ChannelClosedException)
            {
                return null;
            }
        }

        public ValueTask UnbindAsync(CancellationToken cancellationToken = default)
        {
            transport.Stop();
            return ValueTask.CompletedTask;
        }

        public ValueTask DisposeAsync()
        {
            transport.Stop();
            return ValueTask.CompletedTask;
        }
    }

    /// <summary>One handed-over connection, as Kestrel sees it.</summary>
    private sealed class DirectConnection : ConnectionContext
    {
        private static long s_count;
        // Never disposed: it has no timer, and Kestrel may still hold registrations on its token after DisposeAsync.
        private readonly CancellationTokenSource _closed = new();
        private readonly TaskCompletionSource _done = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly Action _abort;
        private int _aborted;
        private int _closedFired;

        public DirectConnection(IDuplexPipe transport, Action abort)
        {
            Transport = transport;
            _abort = abort;
            ConnectionId = $"tunnel-{Interlocked.Increment(ref s_count)}";
            ConnectionClosed = _closed.Token;
        }

        public override string ConnectionId { get; set; }

        public override IFeatureCollection Features { get; } = new FeatureCollection();

        public override IDictionary<object, object?> Items { get; set; } = new Dictionary<object, object?>();

        public override IDuplexPipe Transport { get; set; }

        public override EndPoint? LocalEndPoint { get; set; } = DirectTransport.EndPoint;

        /// <summary>Completes when Kestrel is done with the connection.</summary>
        public Task Done => _done.Task;

        /// <summary>
        /// The other end closed or vanished: Kestrel aborts what is in progress, as on a socket's FIN. Fired once, on
        /// the thread pool, never inside Kestrel's own abort call (as Kestrel's socket transport does).
        /// </summary>
        public void OnPeerGone()
        {
            if (Interlocked.Exchange(ref _closedFired, 1) == 0)
            {
                ThreadPool.UnsafeQueueUserWorkItem(static connection => connection._closed.Cancel(), this, preferLocal: false);
            }
        }

        public override void Abort(ConnectionAbortedException abortReason)
        {
            if (Interlocked.Exchange(ref _aborted, 1) == 0)
            {
                _abort();
            }

            OnPeerGone();
        }

        public override async ValueTask DisposeAsync()
        {
            Release();
            await base.DisposeAsync();
        }

        /// <summary>Kestrel is done with the connection (or never took it).</summary>
        public void Release() => _done.TrySetResult();
    }
}
