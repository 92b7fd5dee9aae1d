using System.ClientModel;
using MeshLlm.Testing;
using OpenAI;
using OpenAI.Chat;

namespace MeshLlm.EndToEnd;

/// <summary>One real mesh-llm process serving the tiny model, shared by a test class.</summary>
public sealed class ServerFixture : IAsyncLifetime
{
    public const string Model = "tiny";

    public MeshLlmProcess Process { get; private set; } = null!;

    public Uri Api { get; private set; } = null!;

    public Uri Engine { get; private set; } = null!;

    public HttpClient Http { get; } = new() { Timeout = TimeSpan.FromSeconds(120) };

    public async ValueTask InitializeAsync()
    {
        Process = MeshLlmProcess.Start(["--model", TestModels.Tiny, "--port", "0", "--parallel", "4", "--backend", "embedded"]);
        Api = await Process.WaitForApiAsync();
        Engine = await Process.WaitForReadyAsync();
    }

    public OpenAIClient OpenAi() => new(new ApiKeyCredential("none"), new OpenAIClientOptions { Endpoint = new Uri(Api, "v1") });

    public ChatClient Chat() => OpenAi().GetChatClient(Model);

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await Process.DisposeAsync();
    }
}
