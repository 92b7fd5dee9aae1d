using System.Globalization;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using MeshLlm.Models;
using MeshLlm.Testing;

namespace MeshLlm.EndToEnd;

/// <summary>
/// The model commands as a user runs them, against a local stand-in for the Hugging Face hub (<c>HF_ENDPOINT</c>)
/// and a small catalog (<c>MESH_LLM_CATALOG</c>) naming generated models.
/// </summary>
public sealed class ModelCommandsTests : IAsyncDisposable
{
    private readonly FakeHub _hub = new();
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("mesh-llm-models-e2e-");
    private readonly Dictionary<string, string?> _environment;
    private readonly byte[] _main;
    private readonly byte[] _draft;

    public ModelCommandsTests()
    {
        // Deeper than the draft: a catalog draft must be under half its main model's size.
        _main = File.ReadAllBytes(TestModels.TinyF16Variant("hub-main", 7, layers: 12));
        _draft = File.ReadAllBytes(TestModels.TinyF16Variant("hub-draft", 8));
        _hub.Files["org/tiny-GGUF/resolve/main/Tiny-Cat-F16.gguf"] = _main;
        _hub.Files["org/tiny-GGUF/resolve/main/Tiny-Draft-F16.gguf"] = _draft;
        var catalog = Path.Combine(_dir.FullName, "catalog.json");
        File.WriteAllText(catalog, Catalog());
        _environment = new Dictionary<string, string?>
        {
            ["HF_ENDPOINT"] = _hub.Url("").AbsoluteUri.TrimEnd('/'),
            ["MESH_LLM_CATALOG"] = catalog,
            ["MESH_LLM_MODELS_DIR"] = Path.Combine(_dir.FullName, "models"),
            ["HF_HUB_CACHE"] = Path.Combine(_dir.FullName, "no-hub-cache"),
        };
    }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask DisposeAsync()
    {
        await _hub.DisposeAsync();
        _dir.Delete(recursive: true);
    }

    [Fact]
    public async Task Download_ByAlias_WithDraft_ThenModelsListsThem_ThenServeByName()
    {
        var home = _dir.CreateSubdirectory("home").FullName;
        var (code, stdout, stderr) = await MeshLlmProcess.RunAsync(["download", "tiny-cat", "--draft"], home, _environment);
        Assert.True(code == 0, $"exit {code}: {stderr}");
        Assert.Contains("Serve it: mesh-llm --model Tiny-Cat-F16", stdout);
        Assert.Equal(_main, await File.ReadAllBytesAsync(Path.Combine(_environment["MESH_LLM_MODELS_DIR"]!, "Tiny-Cat-F16.gguf"), Ct));
        Assert.Equal(_draft, await File.ReadAllBytesAsync(Path.Combine(_environment["MESH_LLM_MODELS_DIR"]!, "Tiny-Draft-F16.gguf"), Ct));

        var (_, json, _) = await MeshLlmProcess.RunAsync(["models", "--json"], home, _environment);
        var listed = JsonDocument.Parse(json).RootElement.EnumerateArray().ToDictionary(m => m.GetProperty("name").GetString()!, m => m.GetProperty("is_draft").GetBoolean());
        Assert.Equal(new Dictionary<string, bool> { ["Tiny-Cat-F16"] = false, ["Tiny-Draft-F16"] = true }, listed);

        await using var node = MeshLlmProcess.Start(["--model", "Tiny-Cat-F16", "--backend", "embedded", "--port", "0", "--console", "0", "--bind-port", "0"], _environment);
        var api = await node.WaitForApiAsync();
        await node.WaitForReadyAsync();
        using var http = new HttpClient();
        using var response = await http.PostAsJsonAsync(new Uri(api, "v1/chat/completions"),
            new { model = "Tiny-Cat-F16", max_tokens = 4, messages = new[] { new { role = "user", content = "hi" } } }, Ct);
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync(Ct));
        Assert.Contains("Draft model: Tiny-Draft-F16.gguf", node.Stdout);
    }

    [Fact]
    public async Task ModelThatDoesNotFit_RefusedBeforeDownloading_UnlessForced()
    {
        var home = _dir.CreateSubdirectory("home").FullName;

        var (code, _, stderr) = await MeshLlmProcess.RunAsync(["--model", "Tiny-Huge-F16"], home, _environment);

        Assert.Equal(4, code);
        Assert.Contains("Tiny-Huge-F16 needs", stderr);
        Assert.Contains("--force", stderr);
        Assert.Empty(_hub.Ranges);
    }

    [Fact]
    public async Task AmbiguousOrUnknownNames_OneClearLine()
    {
        var home = _dir.CreateSubdirectory("home").FullName;

        var (ambiguousCode, _, ambiguous) = await MeshLlmProcess.RunAsync(["download", "Tiny"], home, _environment);
        var (unknownCode, _, unknown) = await MeshLlmProcess.RunAsync(["download", "no-such-model"], home, _environment);

        Assert.Equal(4, ambiguousCode);
        Assert.Contains("Tiny-Cat-F16", ambiguous);
        Assert.Contains("Tiny-Huge-F16", ambiguous);
        Assert.Equal(4, unknownCode);
        Assert.Single(unknown.Trim().Split('\n'));
    }

    private string Catalog()
    {
        static string Entry(string name, long size, string? sha, bool isDraft, string? draft) => $$"""
            {
              "name": "{{name}}", "family": "tiny", "params_b": {{(size / 2 / 1e9).ToString("0.############", CultureInfo.InvariantCulture)}}, "quant": "F16",
              "files": [ { "repo": "org/tiny-GGUF", "path": "{{name}}.gguf", "size_bytes": {{size}}, "sha256": {{(sha is null ? "null" : $"\"{sha}\"")}} } ],
              "context": 2048, "caps": ["chat"],
              "quality": { "score": 1.0, "benchmark": "estimate: generated test model", "date": "2026-11", "source": "https://example.org/tiny" },
              "is_draft": {{(isDraft ? "true" : "false")}}, "draft": {{(draft is null ? "null" : $"\"{draft}\"")}}, "no_draft_reason": null,
              "aliases": ["{{name.ToLowerInvariant().Replace("-f16", "", StringComparison.Ordinal)}}"], "starter": {{(draft is not null && size < 1_000_000 ? "true" : "false")}}
            }
            """;
        return $$"""
            { "version": 1, "models": [
            {{Entry("Tiny-Cat-F16", _main.Length, Convert.ToHexStringLower(SHA256.HashData(_main)), false, "Tiny-Draft-F16")}},
            {{Entry("Tiny-Huge-F16", 2_000_000_000_000, null, false, "Tiny-Draft-F16")}},
            {{Entry("Tiny-Draft-F16", _draft.Length, Convert.ToHexStringLower(SHA256.HashData(_draft)), true, null)}}
            ] }
            """;
    }
}
