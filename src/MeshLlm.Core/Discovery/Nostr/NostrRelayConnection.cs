using System.Globalization;
using System.Net.WebSockets;
using Microsoft.Extensions.Logging;

namespace MeshLlm.Discovery.Nostr;

/// <summary>The pool's link to one relay: opens a session lazily, reuses it while it is open, replaces it after a failure.</summary>
internal sealed class NostrRelayConnection(Uri relay, Func<NostrRelayPoolOptions> options, TimeProvider time, ILogger logger) : IAsyncDisposable
{
    private readonly SemaphoreSlim _connectLock = new(1, 1);
    private NostrRelaySession? _session;
    private bool _down;
    private bool _disposed;

    public Uri Relay => relay;

    /// <summary>The open session, connecting first when there is none; (null, why) when the relay cannot be reached.</summary>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled (not the connect timeout).</exception>
    public async Task<(NostrRelaySession? Session, string Error)> GetSessionAsync(CancellationToken cancellationToken)
    {
        await _connectLock.WaitAsync(cancellationToken);
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_session is { IsOpen: true } open)
            {
                return (open, "");
            }

            if (_session is { } old)
            {
                _session = null;
                await old.DisposeAsync();
            }

            var (socket, error) = await ConnectAsync(cancellationToken);
            if (socket is null)
            {
                if (!_down)
                {
                    NostrRelayPool.Log.RelayUnreachable(logger, relay, error);
                }
                else
                {
                    NostrRelayPool.Log.RelayStillUnreachable(logger, relay, error);
                }

                _down = true;
                return (null, error);
            }

            _down = false;
            NostrRelayPool.Log.RelayConnected(logger, relay);
            _session = new NostrRelaySession(relay, socket, options(), logger);
            return (_session, "");
        }
        finally
        {
            _connectLock.Release();
        }
    }

    private async Task<(ClientWebSocket? Socket, string Error)> ConnectAsync(CancellationToken cancellationToken)
    {
        var socket = new ClientWebSocket();
        var timeout = options().ConnectTimeout;
        using var connectTimeout = new CancellationTokenSource(timeout, time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, connectTimeout.Token);
        try
        {
            await socket.ConnectAsync(relay, linked.Token);
            return (socket, "");
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            socket.Dispose();
            return (null, string.Create(CultureInfo.InvariantCulture, $"no connection within {timeout.TotalSeconds:0.#} s"));
        }
        catch (Exception e) when (e is WebSocketException or IOException or HttpRequestException or UriFormatException or ArgumentException)
        {
            socket.Dispose();
            return (null, e.InnerException is { } inner ? $"{e.Message} ({inner.Message})" : e.Message);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _connectLock.WaitAsync();
        try
        {
            _disposed = true;
            if (_session is { } session)
            {
                _session = null;
                await session.DisposeAsync();
            }
        }
        finally
        {
            _connectLock.Release();
        }

        _connectLock.Dispose();
    }
}
