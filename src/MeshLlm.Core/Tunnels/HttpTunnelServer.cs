using MeshLlm.Transport;
using Microsoft.Extensions.Logging;

namespace MeshLlm.Tunnels;

/// <summary>
/// The receiving end of HTTP tunnels (channel 0x04): each channel becomes one loopback TCP connection to this
/// node's model server and is relayed byte for byte. No ready model: the channel is closed at once, which the
/// requesting node sees before any response byte and retries elsewhere.
/// </summary>
public sealed partial class HttpTunnelServer(Func<Uri?> localEndpoint, ILogger<HttpTunnelServer> logger)
{
    public async Task HandleAsync(MeshChannel channel)
    {
        var endpoint = localEndpoint();
        if (endpoint is null)
        {
            LogNoModel(logger, channel.Connection.Remote.ToShortString());
            await channel.DisposeAsync();
            return;
        }

        LogOpened(logger, channel.Connection.Remote.ToShortString(), endpoint);
        if (await ChannelRelay.ToLoopbackAsync(channel, endpoint.Port) is { } failure)
        {
            LogConnectFailed(logger, endpoint, failure);
        }
    }

    [LoggerMessage(EventId = 3100, Level = LogLevel.Debug, Message = "HTTP tunnel from {Peer} refused: no ready model here")]
    private static partial void LogNoModel(ILogger logger, string peer);

    [LoggerMessage(EventId = 3102, Level = LogLevel.Debug, Message = "HTTP tunnel from {Peer} relayed to {Endpoint}")]
    private static partial void LogOpened(ILogger logger, string peer, Uri endpoint);

    [LoggerMessage(EventId = 3101, Level = LogLevel.Warning, Message = "HTTP tunnel could not reach the local model server {Endpoint}: {Reason}")]
    private static partial void LogConnectFailed(ILogger logger, Uri endpoint, string reason);
}
