using System.Globalization;
using MeshLlm.Testing;

namespace MeshLlm.Bench;

/// <summary>
/// One real <c>mesh-llm</c> serving the bench model on a free port: its API (event 8500) and its engine's own
/// loopback endpoint (event 5001: the embedded engine's server, or llama-server's port).
/// </summary>
internal sealed class BenchNode : IAsyncDisposable
{
    private readonly MeshLlmProcess _process;

    private BenchNode(MeshLlmProcess process, Uri api, Uri engine)
    {
        _process = process;
        Api = api;
        Engine = engine;
    }

    public Uri Api { get; }

    public Uri Engine { get; }

    /// <summary>The mesh-llm process (its stdout, log events, console).</summary>
    public MeshLlmProcess Process => _process;

    /// <summary>
    /// Starts mesh-llm with <c>--backend</c>, <c>--threads</c> and <c>--parallel 4</c> (plus <paramref name="extraArgs"/>)
    /// and waits until the model is ready.
    /// </summary>
    public static async Task<BenchNode> StartAsync(string model, string backend, int threads, IReadOnlyDictionary<string, string?>? environment = null,
        IReadOnlyList<string>? extraArgs = null)
    {
        var process = MeshLlmProcess.Start(
            ["--model", model, "--port", "0", "--backend", backend, "--parallel", "4", "--threads", threads.ToString(CultureInfo.InvariantCulture), .. extraArgs ?? []],
            environment);
        try
        {
            var api = await process.WaitForApiAsync();
            return new BenchNode(process, api, await process.WaitForReadyAsync());
        }
        catch
        {
            await process.DisposeAsync();
            throw;
        }
    }

    public ValueTask DisposeAsync() => _process.DisposeAsync();
}
