namespace MeshLlm.Models;

/// <summary>Sets a process-wide environment variable, so it runs alone.</summary>
[CollectionDefinition(nameof(ModelCatalogOverrideTests), DisableParallelization = true)]
public sealed class ModelCatalogOverrideRunsAlone;

[Collection(nameof(ModelCatalogOverrideTests))]
public sealed class ModelCatalogOverrideTests : IDisposable
{
    private const string SmallCatalog = """
        {
          // comments and trailing commas are allowed
          "version": 1,
          "models": [
            {
              "name": "Tiny-Main-Q8_0", "family": "tiny", "params_b": 1.0, "quant": "Q8_0",
              "files": [ { "repo": "me/tiny-GGUF", "path": "Tiny-Main-Q8_0.gguf", "size_bytes": 1070000000, "sha256": null } ],
              "context": 4096, "caps": ["chat"],
              "quality": { "score": 10, "benchmark": "estimate: test", "date": "2026-11", "source": "https://example.com/tiny" },
              "draft": "Tiny-Draft-Q8_0", "aliases": ["tiny"], "starter": true,
            },
            {
              "name": "Tiny-Draft-Q8_0", "family": "tiny", "params_b": 0.1, "quant": "Q8_0",
              "files": [ { "repo": "me/tiny-GGUF", "path": "Tiny-Draft-Q8_0.gguf", "size_bytes": 107000000 } ],
              "context": 4096, "caps": ["chat"],
              "quality": { "score": 2, "benchmark": "estimate: test", "date": "2026-11", "source": "https://example.com/tiny" },
              "is_draft": true
            }
          ]
        }
        """;

    private readonly string _folder = Directory.CreateTempSubdirectory("mesh-llm-catalog-").FullName;
    private readonly string? _before = Environment.GetEnvironmentVariable(ModelCatalog.OverrideVariable);

    public void Dispose()
    {
        Environment.SetEnvironmentVariable(ModelCatalog.OverrideVariable, _before);
        Directory.Delete(_folder, recursive: true);
    }

    private string Write(string json)
    {
        var path = Path.Combine(_folder, "catalog.json");
        File.WriteAllText(path, json);
        Environment.SetEnvironmentVariable(ModelCatalog.OverrideVariable, path);
        return path;
    }

    private ModelCatalogException LoadFails(string json)
    {
        var path = Write(json);
        var e = Assert.Throws<ModelCatalogException>(ModelCatalog.Load);
        Assert.Contains(path, e.Message, StringComparison.Ordinal);
        Assert.Equal(path, e.CatalogSource);
        Assert.DoesNotContain('\n', e.Message);
        return e;
    }

    [Fact]
    public void Load_WithOverride_ReadsThatFile()
    {
        var path = Write(SmallCatalog);
        var catalog = ModelCatalog.Load();

        Assert.Equal(path, catalog.Source);
        Assert.Equal(["Tiny-Main-Q8_0", "Tiny-Draft-Q8_0"], catalog.Models.Select(m => m.Name));
        Assert.True(catalog.Find("Tiny-Draft-Q8_0")!.IsDraft);
        Assert.Equal("Tiny-Main-Q8_0", ModelTiers.Recommend(2_000_000_000, catalog).Recommended?.Name);
        Assert.Equal("Tiny-Main-Q8_0", ModelTiers.StarterModel(catalog).Name);
        Assert.IsType<Resolution.CatalogModel>(ModelResolver.Resolve("tiny", catalog, []));
    }

    [Fact]
    public void Load_WithoutOverride_IsTheEmbeddedCatalog()
    {
        Environment.SetEnvironmentVariable(ModelCatalog.OverrideVariable, null);
        Assert.Equal("embedded catalog", ModelCatalog.Load().Source);
    }

    [Fact]
    public void Load_MissingFile_SaysSoAndHowToFix()
    {
        var path = Path.Combine(_folder, "absent.json");
        Environment.SetEnvironmentVariable(ModelCatalog.OverrideVariable, path);
        var e = Assert.Throws<ModelCatalogException>(ModelCatalog.Load);
        Assert.Equal($"Model catalog {path} (from MESH_LLM_CATALOG) does not exist. Fix the path or unset MESH_LLM_CATALOG to use the built-in catalog.", e.Message);
    }

    [Fact]
    public void Load_BrokenJson_NamesTheFileAndTheLine()
    {
        var e = LoadFails("{ \"version\": 1,\n \"models\": [ { \"name\": ");
        Assert.Contains("is not valid", e.Message, StringComparison.Ordinal);
        Assert.Contains("line 2", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_UnknownField_IsAnError() =>
        Assert.Contains("is_drfat", LoadFails(SmallCatalog.Replace("\"is_draft\"", "\"is_drfat\"", StringComparison.Ordinal)).Message, StringComparison.Ordinal);

    [Fact]
    public void Load_MisspelledField_NamesIt() =>
        Assert.Contains("not valid at $.models[0].qualities (line 9): The JSON property 'qualities' could not be mapped",
            LoadFails(SmallCatalog.Replace("\"quality\"", "\"qualities\"", StringComparison.Ordinal)).Message, StringComparison.Ordinal);

    [Fact]
    public void Load_MissingRequiredField_IsAnError() =>
        Assert.Contains("is not valid at $.models[0] (line 11): JSON deserialization for type 'MeshLlm.Models.CatalogEntry' was missing required properties including: 'context'.",
            LoadFails(SmallCatalog.Replace("\"context\": 4096, ", "", StringComparison.Ordinal)).Message, StringComparison.Ordinal);

    [Fact]
    public void Load_NewerVersion_IsAnError() =>
        Assert.Contains("version 2; this build reads version 1", LoadFails(SmallCatalog.Replace("\"version\": 1", "\"version\": 2", StringComparison.Ordinal)).Message, StringComparison.Ordinal);

    [Fact]
    public void Load_InvariantBroken_ListsTheProblem() =>
        Assert.Contains("Tiny-Main-Q8_0: draft 'Tiny-Missing' is not in the catalog",
            LoadFails(SmallCatalog.Replace("\"draft\": \"Tiny-Draft-Q8_0\"", "\"draft\": \"Tiny-Missing\"", StringComparison.Ordinal)).Message, StringComparison.Ordinal);

    [Fact]
    public void Load_EmptyFile_IsAnError() => LoadFails("");
}
