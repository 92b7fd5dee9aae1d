using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using MeshLlm.Models;
using MeshLlm.Testing;

namespace MeshLlm.EndToEnd.Discovery;

/// <summary>
/// The first-time experience: <c>--auto</c> with no mesh on the relay and nothing on disk fetches the starter model from
/// the hub (a local stand-in, <c>HF_ENDPOINT</c>), serves it, fetches the model for this machine's tier in the
/// background and switches to it, while a client loops requests through the whole switch without one failing.
/// </summary>
public sealed class FirstRunTests : IAsyncDisposable
{
    private readonly FakeHub _hub = new();
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("mesh-llm-first-run-");
    private readonly Dictionary<string, string?> _environment;

    public FirstRunTests()
    {
        // The tier model is deeper (and better) than the starter; the draft is under half of either.
        var starter = File.ReadAllBytes(TestModels.TinyF16Variant("first-starter", 11, layers: 6));
        var tier = File.ReadAllBytes(TestModels.TinyF16Variant("first-tier", 12, layers: 12));
        var draft = File.ReadAllBytes(TestModels.TinyF16Variant("first-draft", 13));
        _hub.Files["org/tiny-GGUF/resolve/main/Tiny-Starter-F16.gguf"] = starter;
        _hub.Files["org/tiny-GGUF/resolve/main/Tiny-Tier-F16.gguf"] = tier;
        _hub.Files["org/tiny-GGUF/resolve/main/Tiny-Draft-F16.gguf"] = draft;
        // Slow enough that requests on the starter overlap the tier's download and the switch.
        _hub.ChunkDelay = TimeSpan.FromMilliseconds(150);
        var catalog = Path.Combine(_dir.FullName, "catalog.json");
        File.WriteAllText(catalog, $$"""
            { "version": 1, "models": [
            {{Entry("Tiny-Starter-F16", starter.Length, quality: 5, isDraft: false, starter: true)}},
            {{Entry("Tiny-Tier-F16", tier.Length, quality: 50, isDraft: false, starter: false)}},
            {{Entry("Tiny-Draft-F16", draft.Length, quality: 1, isDraft: true, starter: false)}}
            ] }
            """);
        _environment = new Dictionary<string, string?>
        {
            ["HF_ENDPOINT"] = _hub.Url("").AbsoluteUri.TrimEnd('/'),
            ["MESH_LLM_CATALOG"] = catalog,
            ["MESH_LLM_MODELS_DIR"] = Path.Combine(_dir.FullName, "models"),
            ["HF_HUB_CACHE"] = Path.Combine(_dir.FullName, "no-hub-cache"),
        };
    }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static string Entry(string name, long size, double quality, bool isDraft, bool starter) => $$"""
        {
          "name": "{{name}}", "family": "tiny", "params_b": {{(size / 2 / 1e9).ToString("0.############", CultureInfo.InvariantCulture)}}, "quant": "F16",
          "files": [ { "repo": "org/tiny-GGUF", "path": "{{name}}.gguf", "size_bytes": {{size}}, "sha256": null } ],
          "context": 2048, "caps": ["chat"],
          "quality": { "score": {{quality.ToString(CultureInfo.InvariantCulture)}}, "benchmark": "estimate: generated test model", "date": "2026-11", "source": "https://example.org/tiny" },
          "is_draft": {{(isDraft ? "true" : "false")}}, "draft": {{(isDraft ? "null" : "\"Tiny-Draft-F16\"")}}, "no_draft_reason": null,
          "aliases": [], "starter": {{(starter ? "true" : "false")}}
        }
        """;

    public async ValueTask DisposeAsync()
    {
        await _hub.DisposeAsync();
        _dir.Delete(recursive: true);
    }

    [Fact]
    public async Task AutoJoiner_WithNothingOnDisk_FetchesAndServesTheModelTheMeshWants()
    {
        _hub.ChunkDelay = TimeSpan.Zero;
        await using var relay = await NostrRelay.StartAsync();
        var environment = new Dictionary<string, string?>(_environment) { ["MESH_LLM_MODELS_DIR"] = Path.Combine(_dir.FullName, "a-models") };
        await using var a = MeshLlmProcess.Start(
            ["--model", TestModels.Tiny, "--model", "Tiny-Tier-F16", "--backend", "embedded", "--port", "0", "--bind-port", "0", "--publish",
                "--nostr-relay", relay.Url.AbsoluteUri], environment);
        var aApi = await a.WaitForApiAsync();
        await a.WaitForEventAsync(7112);

        await using var b = MeshLlmProcess.Start(
            ["--auto", "--backend", "embedded", "--port", "0", "--bind-port", "0", "--max-vram", "1", "--nostr-relay", relay.Url.AbsoluteUri], _environment);
        Assert.Contains("wanted by the mesh", (await b.WaitForEventAsync(7124)).Message, StringComparison.Ordinal);
        Assert.Contains("Tiny-Tier-F16", (await b.WaitForEventAsync(5001)).Message, StringComparison.Ordinal);

        // A routes the wanted model to B, which now serves it.
        using var http = new HttpClient();
        var start = TimeProvider.System.GetTimestamp();
        while (true)
        {
            using var response = await http.PostAsJsonAsync(new Uri(aApi, "v1/chat/completions"),
                new { model = "Tiny-Tier-F16", max_tokens = 3, messages = new[] { new { role = "user", content = "hi" } } }, Ct);
            if (response.IsSuccessStatusCode)
            {
                break;
            }

            Assert.True(TimeProvider.System.GetElapsedTime(start) < TimeSpan.FromSeconds(30), "A never routed Tiny-Tier-F16: " + await response.Content.ReadAsStringAsync(Ct));
            await Task.Delay(250, Ct);
        }
    }

    [Fact]
    public async Task Auto_WithNoMeshAndNothingOnDisk_ServesTheStarter_ThenSwitchesToTheTierModel_WithoutAFailedRequest()
    {
        await using var relay = await NostrRelay.StartAsync();
        await using var node = MeshLlmProcess.Start(
            ["--auto", "--backend", "embedded", "--port", "0", "--bind-port", "0", "--max-vram", "1", "--nostr-relay", relay.Url.AbsoluteUri], _environment);
        var api = await node.WaitForApiAsync();
        await node.WaitForReadyAsync();
        Assert.Contains("No mesh found", node.Stdout, StringComparison.Ordinal);
        Assert.Contains("Tiny-Starter-F16", (await node.WaitForEventAsync(5000)).Message, StringComparison.Ordinal);
        var chatReady = await node.WaitForStdoutAsync(l => l.StartsWith("Chat-ready after", StringComparison.Ordinal));
        Assert.Matches(@"Chat-ready after \d+\.\d s with Tiny-Starter-F16 \(first answer received\)\.", chatReady);

        // Requests with no model name loop through the switch; every one must succeed.
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        var answeredBy = new List<string>();
        var upgraded = node.WaitForEventAsync(5008, TimeSpan.FromMinutes(2));
        var after = 0;
        while (after < 5)
        {
            using var response = await http.PostAsJsonAsync(new Uri(api, "v1/chat/completions"),
                new { max_tokens = 3, messages = new[] { new { role = "user", content = "hi" } } }, Ct);
            var body = await response.Content.ReadAsStringAsync(Ct);
            Assert.True(response.IsSuccessStatusCode, $"request {answeredBy.Count + 1} failed during the switch: {(int)response.StatusCode} {body}");
            answeredBy.Add(JsonDocument.Parse(body).RootElement.GetProperty("model").GetString()!);
            after += upgraded.IsCompleted ? 1 : 0;
        }

        await upgraded;
        Assert.Contains("Tiny-Starter-F16", answeredBy);
        Assert.Equal("Tiny-Tier-F16", answeredBy[^1]);
        Assert.Equal(answeredBy.Count - answeredBy.IndexOf("Tiny-Tier-F16"), answeredBy.Count(m => m == "Tiny-Tier-F16")); // no going back
        Assert.True(File.Exists(Path.Combine(_environment["MESH_LLM_MODELS_DIR"]!, "Tiny-Tier-F16.gguf")));

        // The new mesh was published with the tier model.
        var other = _dir.CreateSubdirectory("other").FullName;
        var start = TimeProvider.System.GetTimestamp();
        while (true)
        {
            var (code, stdout, stderr) = await MeshLlmProcess.RunAsync(["discover", "--json", "--nostr-relay", relay.Url.AbsoluteUri], other, _environment);
            Assert.True(code == 0, stderr);
            if (stdout.Contains("\"Tiny-Tier-F16\"", StringComparison.Ordinal))
            {
                break;
            }

            Assert.True(TimeProvider.System.GetElapsedTime(start) < TimeSpan.FromSeconds(30), "the listing never showed the tier model: " + stdout);
            await Task.Delay(500, Ct);
        }
    }
}
