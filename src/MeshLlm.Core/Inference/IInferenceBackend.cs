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
}

/// <summary>Where a started backend answers, and what it can take.</summary>
public sealed record BackendEndpoint(Uri BaseAddress, int ContextLength);

/// <summary>A model file to serve, with its public name.</summary>
public sealed record ModelFile(string Path, string Name, long SizeBytes);

/// <summary>A backend failed to start; the message is written for the user.</summary>
public sealed class BackendStartException(string message, Exception? inner = null) : Exception(message, inner);
