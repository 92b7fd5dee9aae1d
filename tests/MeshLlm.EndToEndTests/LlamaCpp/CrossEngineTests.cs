using System.Net.Http.Json;
using System.Text.Json;
using MeshLlm.Testing;

namespace MeshLlm.EndToEnd.LlamaCpp;

/// <summary>
/// The embedded engine and llama.cpp share tokenizer, template and weights, so greedy text on an f32 model
/// must be identical (reference/llamacpp-facts.md: exact only on f32/f16).
/// </summary>
public sealed class CrossEngineTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task GreedyText_SameOnEmbeddedAndLlamaCpp()
    {
        LlamaCppRig.Require();
        await using var embedded = MeshLlmProcess.Start(["--model", TestModels.Tiny, "--port", "0", "--backend", "embedded"]);
        await using var llamacpp = MeshLlmProcess.Start(["--model", TestModels.Tiny, "--port", "0", "--backend", "llamacpp"], LlamaCppRig.ChildEnvironment());
        var embeddedApi = await embedded.WaitForApiAsync();
        var llamacppApi = await llamacpp.WaitForApiAsync();
        await embedded.WaitForReadyAsync();
        await llamacpp.WaitForReadyAsync();
        using var http = new HttpClient();
        string[] prompts = ["Hello there", "What is a mesh network?", "Count: 1, 2, 3,", "¿Dónde está la biblioteca?"];

        foreach (var prompt in prompts)
        {
            var chat = new { model = "tiny", temperature = 0, max_tokens = 48, messages = new[] { new { role = "user", content = prompt } } };
            var completion = new { model = "tiny", temperature = 0, max_tokens = 48, prompt };

            Assert.Equal(await TextAsync(http, embeddedApi, "v1/chat/completions", chat), await TextAsync(http, llamacppApi, "v1/chat/completions", chat));
            Assert.Equal(await TextAsync(http, embeddedApi, "v1/completions", completion), await TextAsync(http, llamacppApi, "v1/completions", completion));
        }
    }

    private static async Task<string> TextAsync(HttpClient http, Uri api, string path, object body)
    {
        using var response = await http.PostAsJsonAsync(new Uri(api, path), body, Ct);
        var choice = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct)).RootElement.GetProperty("choices")[0];
        var text = choice.TryGetProperty("message", out var message) ? message.GetProperty("content").GetString() : choice.GetProperty("text").GetString();
        Assert.False(string.IsNullOrEmpty(text));
        return text!;
    }
}
