using MeshLlm.Identity;
using MeshLlm.Transport;
using Microsoft.Extensions.Logging;

namespace MeshLlm.Tunnels;

/// <summary>
/// The partner's end of RPC tunnels (channel 0x02): each channel from a mesh member becomes one loopback TCP
/// connection to this node's rpc-server. Passive clients never get one; otherwise <paramref name="rpcServerPort"/>
/// decides per requesting node (null: refused with the reason it gives), and the channel is closed at once.
/// </summary>
public sealed partial class RpcTunnelServer(Func<NodeId, (int? Port, string Refusal)> rpcServerPort, ILogger<RpcTunnelServer> logger)
{
    /// <summary>A server that lends <paramref name="port"/> to every mesh member (tests, single-purpose nodes).</summary>
    public RpcTunnelServer(Func<int?> port, ILogger<RpcTunnelServer> logger)
        : this(_ => (port(), "no rpc-server runs here"), logger)
    {
    }

    public async Task HandleAsync(MeshChannel channel)
    {
        var (port, refusal) = channel.Connection.RemoteIsClient ? ((int?)null, "passive clients cannot use rpc-servers") : rpcServerPort(channel.Connection.Remote);
        if (port is null)
        {
            LogRefused(logger, channel.Connection.Remote.ToShortString(), refusal);
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
