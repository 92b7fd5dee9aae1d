using System.Net;
using System.Net.Sockets;
using MeshLlm.Identity;
using MeshLlm.Membership;
using MeshLlm.Transport;
using Microsoft.Extensions.Logging;

namespace MeshLlm.Tunnels;

/// <summary>
/// The host's end of an RPC tunnel to one split partner: a listener on 127.0.0.1 (its port goes into
/// llama-server's <c>--rpc</c>); every TCP connection to it becomes a mesh channel (0x02) to the partner, which
/// relays it to its own rpc-server. Only this machine can reach the listener; only mesh members the tunnel.
/// </summary>
public sealed partial class RpcTunnelListener : IAsyncDisposable
{
    private readonly MeshNode _node;
    private readonly Socket _listener;
    private readonly CancellationTokenSource _stopping = new();
    private readonly ILogger _logger;

    private RpcTunnelListener(MeshNode node, NodeId partner, Socket listener, ILogger logger)
    {
        _node = node;
        Partner = partner;
        _listener = listener;
        _logger = logger;
        Port = ((IPEndPoint)listener.LocalEndPoint!).Port;
    }

    public NodeId Partner { get; }

    /// <summary>The loopback port llama-server's <c>--rpc 127.0.0.1:PORT</c> uses for this partner.</summary>
    public int Port { get; }

    public static RpcTunnelListener Start(MeshNode node, NodeId partner, ILogger logger)
    {
        var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(16);
        var tunnel = new RpcTunnelListener(node, partner, listener, logger);
        _ = tunnel.AcceptLoopAsync();
        return tunnel;
    }

    private async Task AcceptLoopAsync()
    {
        while (!_stopping.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await _listener.AcceptAsync(_stopping.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                return;
            }

            socket.NoDelay = true;
            _ = RelayAsync(socket);
        }
    }

    private async Task RelayAsync(Socket socket)
    {
        MeshChannel channel;
        try
        {
            channel = await _node.OpenChannelAsync(Partner, ChannelType.RpcTunnel, _stopping.Token);
        }
        catch (Exception e) when (e is MeshConnectException or TimeoutException or IOException or OperationCanceledException or ObjectDisposedException)
        {
            LogOpenFailed(_logger, Partner.ToShortString(), e.Message);
            if (e is not OperationCanceledException and not ObjectDisposedException)
            {
                // llama-server is about to abort over this: have membership check the partner now, not at the next ping.
                _node.ReportFailure(Partner, "an RPC tunnel to it could not be opened");
            }

            socket.LingerState = new LingerOption(true, 0);
            socket.Dispose();
            return;
        }

        await ChannelRelay.RunAsync(channel, socket, _stopping.Token);
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        _listener.Dispose();
    }

    [LoggerMessage(EventId = 3110, Level = LogLevel.Warning, Message = "RPC tunnel to {Partner} could not be opened: {Reason}")]
    private static partial void LogOpenFailed(ILogger logger, string partner, string reason);
}
