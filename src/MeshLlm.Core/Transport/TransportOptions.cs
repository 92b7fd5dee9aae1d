namespace MeshLlm.Transport;

/// <summary>Mesh transport settings (configuration section <c>Mesh</c>, shared with membership).</summary>
public sealed class TransportOptions
{
    /// <summary>TCP port for mesh connections; 0 (the default) picks a free one (<c>--bind-port</c>).</summary>
    public int BindPort { get; set; }

    /// <summary>Address the mesh listener binds; default all interfaces, since peers are on other machines.</summary>
    public string BindAddress { get; set; } = "0.0.0.0";

    /// <summary>Extra <c>host:port</c> addresses to put in invite tokens and announcements (<c>--advertise</c>).</summary>
    public IList<string> Advertise { get; } = [];

    /// <summary>When false, only <see cref="Advertise"/> addresses are announced (tests on loopback use this).</summary>
    public bool AdvertiseInterfaces { get; set; } = true;

    /// <summary>Longest a TCP connect to one address may take.</summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Longest the TLS handshake plus the join-secret proof may take.</summary>
    public TimeSpan HandshakeTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Longest a channel offer waits for the peer to accept it.</summary>
    public TimeSpan ChannelOpenTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Test seam: wraps every connection's byte stream below TLS (in-process tests cut links with it).</summary>
    internal Func<Stream, Stream>? WrapStream { get; set; }
}
