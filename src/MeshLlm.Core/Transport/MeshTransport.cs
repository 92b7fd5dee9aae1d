using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using MeshLlm.Identity;
using Microsoft.Extensions.Logging;

namespace MeshLlm.Transport;

/// <summary>
/// TLS 1.3 over TCP between nodes: listens, dials, authenticates (certificate pinned to the node id, then the
/// join-secret proof), and keeps exactly one current connection per peer (DESIGN.md §6).
/// </summary>
/// <remarks>
/// Duplicate rule: the acceptor decides. When both sides dial at once, the lower node id's dial survives (the
/// lower side refuses the higher side's dial as <c>duplicate</c> while its own is in flight or just made); in
/// every other case the newest authenticated connection replaces the old one. An old connection's closure
/// never touches the newer one (connections carry a <see cref="MeshConnection.Serial"/>).
/// </remarks>
public sealed partial class MeshTransport : IAsyncDisposable
{
    /// <summary>Wire protocol version this build speaks.</summary>
    public const int ProtocolVersion = 2;

    /// <summary>Oldest peer version accepted.</summary>
    public const int MinProtocolVersion = 2;

    /// <summary>Two dials this close together are a race, not a reconnect.</summary>
    internal static readonly TimeSpan SimultaneousWindow = TimeSpan.FromSeconds(2);

    private readonly NodeKey _key;
    private readonly TransportOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly SslStreamCertificateContext _certificate;
    private readonly Lock _lock = new();
    private readonly Dictionary<NodeId, MeshConnection> _connections = [];
    private readonly Dictionary<NodeId, int> _dialing = [];
    private readonly CancellationTokenSource _stopping = new();
    private Socket? _listener;
    private volatile string _joinSecret;

    public MeshTransport(NodeKey key, string joinSecret, bool isClient, TransportOptions options, TimeProvider time, ILogger logger)
    {
        _key = key;
        _joinSecret = joinSecret;
        IsClient = isClient;
        _options = options;
        _time = time;
        _logger = logger;
        _certificate = SslStreamCertificateContext.Create(NodeCertificate.Create(key, time.GetUtcNow()), null, offline: true);
    }

    public NodeId LocalId => _key.Id;

    /// <summary>This node is a passive client: it dials, never listens, and tells peers so.</summary>
    public bool IsClient { get; }

    /// <summary>The secret both sides of every new connection must prove; a joiner adopts its token's.</summary>
    public string JoinSecret
    {
        get => _joinSecret;
        set => _joinSecret = value;
    }

    /// <summary>Mesh id sent in the hello, so a refused peer can be told which mesh it reached.</summary>
    public string? MeshName { get; set; }

    /// <summary>The bound mesh port (0 before <see cref="Start"/> or for clients).</summary>
    public int Port { get; private set; }

    /// <summary>Raised when a connection becomes the current one for its peer (clients included).</summary>
    public event Action<MeshConnection>? ConnectionAdded;

    /// <summary>Raised when the current connection for a peer closes (not for replaced duplicates).</summary>
    public event Action<MeshConnection>? ConnectionRemoved;

    /// <summary>Handles every channel a peer opens, after its type byte.</summary>
    public Func<MeshChannel, Task> ChannelHandler { get; set; } = c => c.DisposeAsync().AsTask();

    public IReadOnlyList<MeshConnection> Connections
    {
        get
        {
            lock (_lock)
            {
                return [.. _connections.Values];
            }
        }
    }

    public bool TryGetConnection(NodeId peer, out MeshConnection connection)
    {
        lock (_lock)
        {
            return _connections.TryGetValue(peer, out connection!) && !connection.IsClosed;
        }
    }

    /// <summary>Binds the listener (not for clients) and starts accepting.</summary>
    public void Start()
    {
        if (IsClient)
        {
            return;
        }

        var address = IPAddress.Parse(_options.BindAddress);
        var listener = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        if (address.Equals(IPAddress.IPv6Any))
        {
            listener.DualMode = true;
        }

        listener.Bind(new IPEndPoint(address, _options.BindPort));
        listener.Listen(128);
        _listener = listener;
        Port = ((IPEndPoint)listener.LocalEndPoint!).Port;
        _ = AcceptLoopAsync(listener);
    }

    /// <summary>The addresses peers can dial: <c>--advertise</c> values first, then this machine's interfaces.</summary>
    public IReadOnlyList<string> Addresses => Port == 0 ? [] : AddressList.Build(_options, Port);

    private async Task AcceptLoopAsync(Socket listener)
    {
        while (!_stopping.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await listener.AcceptAsync(_stopping.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                if (_stopping.IsCancellationRequested)
                {
                    return;
                }

                continue;
            }

            _ = AcceptOneAsync(socket);
        }
    }

    private async Task AcceptOneAsync(Socket socket)
    {
        var endPoint = socket.RemoteEndPoint?.ToString() ?? "?";
        try
        {
            using var timeout = Timeout(_options.HandshakeTimeout);
            var connection = await HandshakeAsync(socket, outbound: false, expected: null, endPoint, timeout.Token);
            Register(connection);
        }
        catch (Exception e) when (e is HandshakeException or IOException or AuthenticationException or OperationCanceledException or SocketException or MeshProtocolException)
        {
            socket.Dispose();
            if (!_stopping.IsCancellationRequested && e is not HandshakeException { Code: "duplicate" })
            {
                LogRejected(_logger, endPoint, Describe(e));
            }
        }
    }

    /// <summary>
    /// Returns the current connection to <paramref name="peer"/>, dialing its <paramref name="addresses"/> in
    /// order when there is none (or always, with <paramref name="fresh"/>, to test reachability anew).
    /// </summary>
    /// <exception cref="MeshConnectException">No address worked; the message says why for each.</exception>
    public async Task<MeshConnection> ConnectAsync(NodeId peer, IReadOnlyList<string> addresses, bool fresh, CancellationToken cancellationToken)
    {
        if (!fresh && TryGetConnection(peer, out var existing))
        {
            return existing;
        }

        if (peer == LocalId)
        {
            throw new MeshConnectException($"{peer.ToShortString()} is this node.", rejected: true);
        }

        var failures = new List<string>();
        var rejected = false;
        lock (_lock)
        {
            _dialing[peer] = _dialing.GetValueOrDefault(peer) + 1;
        }

        try
        {
            foreach (var address in addresses)
            {
                try
                {
                    return await DialOneAsync(peer, address, cancellationToken);
                }
                catch (HandshakeException e) when (e.Code == "duplicate")
                {
                    if (await WaitForConnectionAsync(peer, cancellationToken) is { } winner)
                    {
                        return winner;
                    }

                    failures.Add($"{address}: both sides dialed at once and the other connection did not arrive");
                }
                catch (Exception e) when (e is HandshakeException or IOException or AuthenticationException or SocketException or OperationCanceledException or MeshProtocolException && !cancellationToken.IsCancellationRequested)
                {
                    rejected |= e is HandshakeException or AuthenticationException;
                    failures.Add($"{address}: {Describe(e)}");
                }
            }
        }
        finally
        {
            lock (_lock)
            {
                if (--_dialing[peer] == 0)
                {
                    _dialing.Remove(peer);
                }
            }
        }

        throw new MeshConnectException(
            addresses.Count == 0 ? $"no address known for {peer.ToShortString()}" : string.Join("; ", failures), rejected);
    }

    private async Task<MeshConnection> DialOneAsync(NodeId peer, string address, CancellationToken cancellationToken)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            using (var connect = Timeout(_options.ConnectTimeout, cancellationToken))
            {
                try
                {
                    await socket.ConnectAsync(AddressList.ToEndPoint(address), connect.Token);
                }
                catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                {
                    throw new IOException($"TCP connect timed out after {_options.ConnectTimeout.TotalSeconds:0.#} s");
                }
            }

            using var handshake = Timeout(_options.HandshakeTimeout, cancellationToken);
            var connection = await HandshakeAsync(socket, outbound: true, peer, address, handshake.Token);
            Register(connection);
            return connection;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    private async Task<MeshConnection?> WaitForConnectionAsync(NodeId peer, CancellationToken cancellationToken)
    {
        var deadline = _time.GetTimestamp();
        while (_time.GetElapsedTime(deadline) < _options.HandshakeTimeout && !cancellationToken.IsCancellationRequested)
        {
            if (TryGetConnection(peer, out var connection))
            {
                return connection;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(20), _time, cancellationToken);
        }

        return null;
    }

    private void Register(MeshConnection connection)
    {
        MeshConnection? replaced;
        lock (_lock)
        {
            _connections.TryGetValue(connection.Remote, out replaced);
            _connections[connection.Remote] = connection;
        }

        if (replaced is not null && !replaced.IsClosed)
        {
            LogReplaced(_logger, connection.Remote.ToShortString(), replaced.Serial, connection.Serial);
            _ = replaced.DisposeAsync().AsTask();
        }

        LogConnected(_logger, connection.Remote.ToShortString(), connection.Outbound ? "dialed" : "accepted", connection.RemoteEndPoint, connection.RemoteIsClient);
        _ = connection.AcceptChannelsAsync(ChannelHandler, (c, why) => LogBadChannel(_logger, c.Remote.ToShortString(), why));
        _ = connection.Closed.ContinueWith(_ => OnClosed(connection), TaskScheduler.Default);
        ConnectionAdded?.Invoke(connection);
    }

    private void OnClosed(MeshConnection connection)
    {
        lock (_lock)
        {
            if (!_connections.TryGetValue(connection.Remote, out var current) || current != connection)
            {
                return;
            }

            _connections.Remove(connection.Remote);
        }

        LogDisconnected(_logger, connection.Remote.ToShortString(), connection.Serial);
        if (!_stopping.IsCancellationRequested)
        {
            ConnectionRemoved?.Invoke(connection);
        }
    }

    private bool RefuseAsDuplicate(NodeId dialer)
    {
        lock (_lock)
        {
            return LocalId < dialer
                && (_dialing.ContainsKey(dialer)
                    || (_connections.TryGetValue(dialer, out var existing) && !existing.IsClosed && existing.Outbound && existing.Age < SimultaneousWindow));
        }
    }

    private CancellationTokenSource Timeout(TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        var cts = CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token, cancellationToken);
        cts.CancelAfter(timeout);
        return cts;
    }

    private static string Describe(Exception e) => e switch
    {
        HandshakeException or MeshProtocolException => e.Message,
        AuthenticationException => "TLS failed (" + e.Message + ")",
        OperationCanceledException => "timed out",
        SocketException s => s.SocketErrorCode switch
        {
            SocketError.ConnectionRefused => "connection refused",
            SocketError.HostUnreachable or SocketError.NetworkUnreachable => "unreachable",
            _ => s.Message,
        },
        _ => e.Message,
    };

    public async ValueTask DisposeAsync()
    {
        if (_stopping.IsCancellationRequested)
        {
            return;
        }

        await _stopping.CancelAsync();
        _listener?.Dispose();
        foreach (var connection in Connections)
        {
            await connection.DisposeAsync();
        }
    }
}

/// <summary>Dialing a peer failed on every address.</summary>
public sealed class MeshConnectException(string message, bool rejected) : Exception(message)
{
    /// <summary>The peer answered but refused us (wrong secret, wrong key, version): retrying will not help.</summary>
    public bool Rejected { get; } = rejected;
}

/// <summary>The peer's TLS certificate or join-secret proof did not check out, or one side refused the other.</summary>
public sealed class HandshakeException(string code, string message) : Exception(message)
{
    public string Code { get; } = code;
}
