using MeshLlm.Models.Gguf;
using MeshLlm.Testing;

namespace MeshLlm.EndToEnd.LlamaCpp;

/// <summary>Clear one-line errors when llama.cpp is missing, too old, or cannot load the model.</summary>
public sealed class LlamaCppErrorTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task MissingBinaries_WithBackendLlamaCpp_ExitCode5NamingTheFix()
    {
        var empty = Directory.CreateTempSubdirectory("mesh-llm-empty-bin-").FullName;

        var (code, errors) = await RunAsync(["--backend", "llamacpp", "--bin-dir", empty],
            new Dictionary<string, string?> { ["MESH_LLM_BIN_DIR"] = null, ["PATH"] = "/usr/bin:/bin" });

        Assert.Equal(5, code);
        Assert.Contains($"--backend llamacpp: llama-server was not found in {empty}", errors);
        Assert.Contains("use --backend embedded", errors);
    }

    [Fact]
    public async Task UnsupportedFlag_ExitCode6NamingFlagAndVersion()
    {
        var bin = FakeBinaries.Create(LlamaCppRig.Require(), hideFlag: "--no-kv-unified");

        var (code, errors) = await RunAsync(["--backend", "llamacpp", "--bin-dir", bin], new Dictionary<string, string?> { ["MESH_LLM_BIN_DIR"] = null });

        Assert.Equal(6, code);
        Assert.Contains("does not accept --no-kv-unified, which mesh-llm needs", errors);
        Assert.Contains("version: ", errors);
    }

    [Fact]
    public async Task ModelLlamaCppCannotLoad_ExitCode6WithItsReason()
    {
        LlamaCppRig.Require();
        var path = Path.Combine(Directory.CreateTempSubdirectory().FullName, "strange.gguf");
        await using (var file = File.Create(path))
        {
            // A valid GGUF file, but of an architecture llama.cpp does not know.
            var writer = new GgufWriter();
            writer.AddString("general.architecture", "no-such-architecture");
            writer.AddUInt32("general.alignment", 32);
            writer.WriteTo(file, Ct);
        }

        var (code, errors) = await RunAsync(["--backend", "llamacpp"], LlamaCppRig.ChildEnvironment(), path);

        Assert.Equal(6, code);
        Assert.Contains("llama-server exited with code", errors);
        Assert.Contains("no-such-architecture", errors);
    }

    private static async Task<(int Code, string Errors)> RunAsync(string[] args, IReadOnlyDictionary<string, string?> environment, string? model = null)
    {
        await using var node = MeshLlmProcess.Start(["--model", model ?? TestModels.Tiny, "--port", "0", .. args], environment);
        var code = await node.WaitForExitAsync();
        return (code, string.Join('\n', node.Stderr.Split('\n').Where(l => l.StartsWith("error:", StringComparison.Ordinal))));
    }
}
