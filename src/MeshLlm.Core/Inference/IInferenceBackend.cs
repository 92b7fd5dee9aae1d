namespace MeshLlm.Inference;

/// <summary>
/// Runs one model behind an OpenAI-compatible HTTP server on a loopback port. The router and tunnels only
/// ever see that endpoint, never which engine provides it (DESIGN.md §3).
/// </summary>
public interface IInferenceBackend : IAsyncDisposable
{
    /// <summary>Short name for logs and status: <c>embedded</c> or <c>llamacpp</c>.</summary>
    string Kind { get; }

    /// <summary>True when this backend can host a split and lend an rpc-server (llama.cpp with its rpc-server).</summary>
    bool CanSplit { get; }

    /// <summary>Loads the model as <paramref name="plan"/> says (alone, or over its RPC servers) and returns once its server answers.</summary>
    /// <exception cref="BackendStartException">The model could not be served; the message says why.</exception>
    Task<BackendEndpoint> StartAsync(ModelFile model, LaunchPlan plan, CancellationToken cancellationToken);

    /// <summary>
    /// Starts (if needed) the rpc-server this node lends to a split's host, and returns its loopback port and a
    /// task that completes if it stops by itself; null when this backend cannot lend.
    /// </summary>
    /// <exception cref="BackendStartException">The rpc-server could not be started.</exception>
    Task<RpcLease?> LendAsync(CancellationToken cancellationToken);

    /// <summary>Port of the rpc-server on 127.0.0.1 while one runs.</summary>
    int? RpcPort { get; }

    /// <summary>Stops the model server only, for a re-plan: the rpc-server stays lent.</summary>
    Task StopServerAsync(CancellationToken cancellationToken);

    /// <summary>Stops serving and lending and frees everything the backend started; safe to call again, then start again.</summary>
    Task StopAsync(CancellationToken cancellationToken);
}

/// <summary>A running rpc-server lent to the mesh.</summary>
/// <param name="Port">Its port on 127.0.0.1.</param>
/// <param name="Stopped">Completes, with the reason, if it stops by itself.</param>
public sealed record RpcLease(int Port, Task<string> Stopped);

/// <summary>Where a started backend answers, and what it can take.</summary>
/// <param name="BaseAddress">The OpenAI-compatible server's base address on 127.0.0.1.</param>
/// <param name="ContextLength">Context tokens each request can use.</param>
/// <param name="Stopped">Completes, with the reason, if the backend stops serving by itself (a crashed child).</param>
public sealed record BackendEndpoint(Uri BaseAddress, int ContextLength, Task<string> Stopped)
{
    /// <summary>The same server taking connections handed over in this process; null for a child process.</summary>
    public IDirectConnections? Direct { get; init; }
}

/// <summary>
/// A model server in this process that also serves connections handed to it as pipes: an HTTP tunnel's channel
/// goes straight to it instead of through a loopback socket (one wake-up and four system calls less each way).
/// </summary>
public interface IDirectConnections
{
    /// <summary>
    /// Serves HTTP/1.1 over <paramref name="connection"/> until either side ends it. <paramref name="peerGone"/>
    /// completes when the other end has closed or vanished (requests in progress are then aborted, as on a socket's
    /// FIN). The server calls <paramref name="abort"/> to reset the connection, which must end the pipe's input.
    /// Completes when the server is done with the connection; fails with <see cref="InvalidOperationException"/> once
    /// the server has stopped.
    /// </summary>
    Task ServeAsync(System.IO.Pipelines.IDuplexPipe connection, Task peerGone, Action abort);
}

/// <summary>A model file to serve, with its public name.</summary>
public sealed record ModelFile(string Path, string Name, long SizeBytes);

/// <summary>A backend failed to start; the message is written for the user.</summary>
public sealed class BackendStartException(string message, Exception? inner = null) : Exception(message, inner)
{
    /// <summary>True when trying again may work (a crash), false for a deterministic error (bad model, bad flag).</summary>
    public bool Retryable { get; init; }
}
