using MeshLlm.Transport;
using Microsoft.Extensions.Logging;

namespace MeshLlm.Tunnels;

/// <summary>
/// The partner's end of RPC tunnels (channel 0x02): each channel from a mesh member becomes one loopback TCP
/// connection to this node's rpc-server. Passive clients never get one, and with no rpc-server running the
/// channel is closed at once.
/// </summary>
public sealed partial class RpcTunnelServer(Func<int?> rpcServerPort, ILogger<RpcTunnelServer> logger)
{
    public async Task HandleAsync(MeshChannel channel)
    {
        var port = rpcServerPort();
        if (channel.Connection.RemoteIsClient || port is null)
        {
            LogRefused(logger, channel.Connection.Remote.ToShortString(), channel.Connection.RemoteIsClient ? "passive clients cannot use rpc-servers" : "no rpc-server runs here");
            await channel.DisposeAsync();
            return;
        }

        if (await ChannelRelay.ToLoopbackAsync(channel, port.Value) is { } failure)
        {
            LogRefused(logger, channel.Connection.Remote.ToShortString(), "rpc-server did not accept: " + failure);
        }
    }

    [LoggerMessage(EventId = 3111, Level = LogLevel.Warning, Message = "RPC tunnel from {Peer} refused: {Reason}")]
    private static partial void LogRefused(ILogger logger, string peer, string reason);
}
