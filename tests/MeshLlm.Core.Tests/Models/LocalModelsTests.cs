namespace MeshLlm.Models;

public sealed class LocalModelsTests : IDisposable
{
    private readonly DirectoryInfo _root = Directory.CreateTempSubdirectory("mesh-llm-local-");

    private string Models => Path.Combine(_root.FullName, "models");

    private string Hub => Path.Combine(_root.FullName, "hub");

    public void Dispose() => _root.Delete(recursive: true);

    private static void Write(string path, int bytes)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, new byte[bytes]);
    }

    [Fact]
    public void Scan_SplitPartsSummed_IncompleteSplitsAndPartialDownloadsNotListed()
    {
        Write(Path.Combine(Models, "a.gguf"), 10);
        Write(Path.Combine(Models, "b-00001-of-00002.gguf"), 10);
        Write(Path.Combine(Models, "sub", "b-00002-of-00002.gguf"), 5);
        Write(Path.Combine(Models, "c-00001-of-00003.gguf"), 10);   // parts 2 and 3 missing
        Write(Path.Combine(Models, "c-00003-of-00003.gguf"), 10);
        Write(Path.Combine(Models, "d.gguf.part"), 10);              // a download in progress
        Write(Path.Combine(Models, "Qwen3-0.6B-Q8_0.gguf"), 3);

        var models = LocalModels.Scan(Models, hubCache: null);

        Assert.Equal(["Qwen3-0.6B-Q8_0", "a", "b"], models.Select(m => m.Name));
        Assert.Equal(15, models.Single(m => m.Name == "b").SizeBytes);
        Assert.EndsWith("b-00001-of-00002.gguf", models.Single(m => m.Name == "b").Path);
        Assert.True(models.Single(m => m.Name == "Qwen3-0.6B-Q8_0").IsDraft);
    }

    [Fact]
    public void Scan_HubCacheSnapshots_LinksToBlobsFollowed()
    {
        var blob = Path.Combine(Hub, "models--org--repo", "blobs", "0123abcd");
        Write(blob, 42);
        var snapshot = Path.Combine(Hub, "models--org--repo", "snapshots", "rev1");
        Directory.CreateDirectory(snapshot);
        File.CreateSymbolicLink(Path.Combine(snapshot, "hubmodel-Q4_K_M.gguf"), blob);
        File.CreateSymbolicLink(Path.Combine(snapshot, "broken.gguf"), Path.Combine(Hub, "missing"));

        var models = LocalModels.Scan(Models, Hub);

        var model = Assert.Single(models);
        Assert.Equal("hubmodel-Q4_K_M", model.Name);
        Assert.Equal(42, model.SizeBytes);
    }

    [Fact]
    public void Scan_AbsentFolders_Nothing() =>
        Assert.Empty(LocalModels.Scan(Path.Combine(_root.FullName, "none"), Path.Combine(_root.FullName, "nohub")));
}
