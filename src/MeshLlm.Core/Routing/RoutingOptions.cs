namespace MeshLlm.Routing;

/// <summary>The API proxy on 127.0.0.1. Bound from <c>Routing</c> (<c>MESHLLM__ROUTING__*</c>).</summary>
public sealed class RoutingOptions
{
    public const string Section = "Routing";

    /// <summary>API port on 127.0.0.1. Default 9337; 0 picks a free port (logged at start).</summary>
    public int Port { get; set; } = 9337;

    /// <summary>Largest request body accepted, in bytes. Default 8 MiB.</summary>
    public long MaxRequestBodyBytes { get; set; } = 8 << 20;

    /// <summary><c>Retry-After</c> seconds sent while a model loads. Default 5.</summary>
    public int LoadingRetryAfterSeconds { get; set; } = 5;

    /// <summary>
    /// Longest silence from a model server before the proxy gives up on a request; resets on every byte, so
    /// long streams are fine. Non-streamed answers send nothing until done, hence the generous default of 10 minutes.
    /// </summary>
    public TimeSpan IdleTimeout { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>
    /// How long an idle pooled connection to a model server is kept. Must stay under the servers' own keep-alive
    /// (llama-server closes idle connections after 5 s), or a request can race the server's close. Default 4 s.
    /// </summary>
    public TimeSpan PooledConnectionIdleTimeout { get; set; } = TimeSpan.FromSeconds(4);

    /// <summary>
    /// The same for connections to the embedded engine, here or (through a tunnel) on another node: it keeps idle
    /// connections for 130 s, so a request after a pause reuses its connection. Default 1 min.
    /// </summary>
    public TimeSpan EmbeddedPooledConnectionIdleTimeout { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>How long to wait for a connection to a model server. Default 5 s.</summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(5);
}
