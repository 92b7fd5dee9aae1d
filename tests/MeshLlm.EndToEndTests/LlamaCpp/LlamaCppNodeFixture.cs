using System.ClientModel;
using MeshLlm.Testing;
using OpenAI;

namespace MeshLlm.EndToEnd.LlamaCpp;

/// <summary>One mesh-llm node on the llama.cpp backend (the rig's real binaries), started on first use.</summary>
public sealed class LlamaCppNodeFixture : IAsyncDisposable
{
    private readonly SemaphoreSlim _gate = new(1);
    private MeshLlmProcess? _process;

    public Uri Api { get; private set; } = null!;

    public Uri Engine { get; private set; } = null!;

    /// <summary>Starts the node once; skips the test (fails in CI) without the rig.</summary>
    public async Task<LlamaCppNodeFixture> StartAsync()
    {
        LlamaCppRig.Require();
        await _gate.WaitAsync();
        try
        {
            if (_process is null)
            {
                _process = MeshLlmProcess.Start(["--model", TestModels.Tiny, "--port", "0", "--backend", "llamacpp"], LlamaCppRig.ChildEnvironment());
                Api = await _process.WaitForApiAsync();
                Engine = await _process.WaitForReadyAsync();
            }
        }
        finally
        {
            _gate.Release();
        }

        return this;
    }

    public OpenAIClient OpenAi() => new(new ApiKeyCredential("none"), new OpenAIClientOptions { Endpoint = new Uri(Api, "v1") });

    public async ValueTask DisposeAsync()
    {
        if (_process is not null)
        {
            await _process.DisposeAsync();
        }

        _gate.Dispose();
    }
}
