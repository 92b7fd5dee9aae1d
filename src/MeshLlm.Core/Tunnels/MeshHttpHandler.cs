using System.Net;
using MeshLlm.Identity;
using MeshLlm.Membership;
using MeshLlm.Transport;

namespace MeshLlm.Tunnels;

/// <summary>
/// The requesting end of HTTP tunnels: an <see cref="SocketsHttpHandler"/> whose connections are mesh channels.
/// A request to <c>http://&lt;first 32 hex of the id&gt;.&lt;last 32&gt;.mesh/</c> reaches that node's model server;
/// pooling, keep-alive and chunked bodies work as on TCP (one HTTP connection = one channel).
/// </summary>
public static class MeshHttpHandler
{
    public const string Suffix = ".mesh";

    public static SocketsHttpHandler Create(MeshNode node, TimeSpan pooledIdleTimeout) => new()
    {
        UseProxy = false,
        AllowAutoRedirect = false,
        AutomaticDecompression = DecompressionMethods.None,
        UseCookies = false,
        PooledConnectionIdleTimeout = pooledIdleTimeout,
        ActivityHeadersPropagator = null,
        ConnectCallback = async (context, cancellationToken) =>
        {
            if (!TryParseHost(context.DnsEndPoint.Host, out var peer))
            {
                throw new HttpRequestException($"{context.DnsEndPoint.Host} is not a mesh node address.");
            }

            try
            {
                var channel = await node.OpenChannelAsync(peer, ChannelType.HttpTunnel, cancellationToken);
                return channel.Stream;
            }
            catch (Exception e) when (e is MeshConnectException or TimeoutException or IOException)
            {
                throw new HttpRequestException(HttpRequestError.ConnectionError, $"Cannot open a tunnel to {peer.ToShortString()}: {e.Message}", e);
            }
        },
    };

    /// <summary>The base address that reaches <paramref name="node"/>'s model server through a tunnel.</summary>
    public static Uri AddressOf(NodeId node) => new($"http://{node.Hex[..32]}.{node.Hex[32..]}{Suffix}/");

    public static bool TryParseHost(string host, out NodeId node)
    {
        node = default;
        return host.EndsWith(Suffix, StringComparison.OrdinalIgnoreCase)
            && NodeId.TryParse(host[..^Suffix.Length].Replace(".", "", StringComparison.Ordinal).ToLowerInvariant(), out node);
    }
}
