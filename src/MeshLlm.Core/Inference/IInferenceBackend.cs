namespace MeshLlm.Inference;

/// <summary>
/// Runs one model behind an OpenAI-compatible HTTP server on a loopback port. The router and tunnels only
/// ever see that endpoint, never which engine provides it (DESIGN.md §3).
/// </summary>
public interface IInferenceBackend : IAsyncDisposable
{
    /// <summary>Short name for logs and status: <c>embedded</c> or <c>llamacpp</c>.</summary>
    string Kind { get; }

    /// <summary>Loads the model and returns once its server answers.</summary>
    /// <exception cref="BackendStartException">The model could not be served; the message says why.</exception>
    Task<BackendEndpoint> StartAsync(ModelFile model, CancellationToken cancellationToken);

    /// <summary>Stops serving and frees everything <see cref="StartAsync"/> started; safe to call again, then start again.</summary>
    Task StopAsync(CancellationToken cancellationToken);
}

/// <summary>Where a started backend answers, and what it can take.</summary>
/// <param name="BaseAddress">The OpenAI-compatible server's base address on 127.0.0.1.</param>
/// <param name="ContextLength">Context tokens each request can use.</param>
/// <param name="Stopped">Completes, with the reason, if the backend stops serving by itself (a crashed child).</param>
public sealed record BackendEndpoint(Uri BaseAddress, int ContextLength, Task<string> Stopped);

/// <summary>A model file to serve, with its public name.</summary>
public sealed record ModelFile(string Path, string Name, long SizeBytes);

/// <summary>A backend failed to start; the message is written for the user.</summary>
public sealed class BackendStartException(string message, Exception? inner = null) : Exception(message, inner)
{
    /// <summary>True when trying again may work (a crash), false for a deterministic error (bad model, bad flag).</summary>
    public bool Retryable { get; init; }
}
