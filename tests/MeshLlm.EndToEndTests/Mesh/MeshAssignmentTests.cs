using MeshLlm.Testing;
using static MeshLlm.EndToEnd.Mesh.MeshNodes;

namespace MeshLlm.EndToEnd.Mesh;

/// <summary>Nodes started without --model: assignment of wanted, unserved models on disk, drafts never, standby promotion.</summary>
public sealed class MeshAssignmentTests
{
    private const int Assigned = 4001;
    private const int Standby = 4002;

    [Fact]
    public async Task Joiners_TakeWantedUnservedModelsFromDisk_NeverDrafts_StandbyPromotesWhenTheLastServerDies()
    {
        var m1 = TestModels.TinyVariant("m1", 101);
        await using var a = StartServing(model: m1);
        var token = await a.WaitForTokenAsync();
        // B serves m3 and asks the mesh for m2, m1 and a draft model.
        await using var b = MeshLlmProcess.Start(
            ["--model", TestModels.TinyVariant("m3", 303), "--model", "m2", "--model", "m1", "--model", "Qwen3-0.6B-Q8_0",
             "--backend", "embedded", "--port", "0", "--bind-port", "0", "--join", token], FastIntervals);
        await b.WaitForReadyAsync();

        await using var j = StartWithDisk(token, ("m2", 202), ("Qwen3-0.6B-Q8_0", 7));
        var assigned = await j.WaitForEventAsync(Assigned, Generous);
        Assert.Equal("m2", assigned.Get("Model"));
        var consoleJ = await j.WaitForConsoleAsync();
        await WaitForStatusAsync(consoleJ, s => s.GetProperty("role").GetString() == "host", "J to serve m2");

        await using var s = StartWithDisk(token, ("m1", 101), ("Qwen3-0.6B-Q8_0", 7));
        var standby = await s.WaitForEventAsync(Standby, Generous);
        Assert.Contains("Qwen3-0.6B-Q8_0 (draft)", standby.Get("Models"), StringComparison.Ordinal);
        Assert.Empty(s.Events(Assigned));

        a.Signal(PosixSignal.SigKill);
        var promoted = await s.WaitForEventAsync(Assigned, Generous);
        Assert.Equal("m1", promoted.Get("Model"));
        Assert.Contains("promoted", promoted.Get("How"), StringComparison.Ordinal);
        await WaitForStatusAsync(await s.WaitForConsoleAsync(), st => st.GetProperty("role").GetString() == "host", "S to serve m1");
    }

    /// <summary>A joiner without --model whose models folder holds copies of generated models under the given names.</summary>
    private static MeshLlmProcess StartWithDisk(string token, params (string Name, ulong Seed)[] models)
    {
        var folder = Directory.CreateTempSubdirectory("mesh-llm-models-").FullName;
        foreach (var (name, seed) in models)
        {
            File.Copy(TestModels.TinyVariant(name + "-src", seed), Path.Combine(folder, name + ".gguf"));
        }

        var environment = new Dictionary<string, string?>(FastIntervals)
        {
            ["MESH_LLM_MODELS_DIR"] = folder,
            ["MESHLLM__PLANNING__SETTLEDELAY"] = "00:00:01",
            ["MESHLLM__PLANNING__STANDBYCHECKINTERVAL"] = "00:00:01",
        };
        return MeshLlmProcess.Start(["--backend", "embedded", "--port", "0", "--bind-port", "0", "--join", token], environment);
    }
}
