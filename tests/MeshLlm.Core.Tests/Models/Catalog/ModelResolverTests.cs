namespace MeshLlm.Models;

public sealed class ModelResolverTests : IDisposable
{
    private static readonly ModelCatalog s_catalog = ModelCatalog.LoadEmbedded();
    private readonly string _folder = Directory.CreateTempSubdirectory("mesh-llm-resolve-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private static Resolution Resolve(string input, params LocalModel[] onDisk) => ModelResolver.Resolve(input, s_catalog, onDisk);

    private static string CatalogName(Resolution r) => Assert.IsType<Resolution.CatalogModel>(r).Entry.Name;

    private static LocalModel Disk(string name) => new(name, "/models/" + name + ".gguf", 1_000_000_000, false);

    [Theory]
    [InlineData("Qwen3-8B-Q4_K_M", "Qwen3-8B-Q4_K_M")]
    [InlineData("qwen3-8b-q4_k_m", "Qwen3-8B-Q4_K_M")]
    [InlineData("  Qwen3-8B-Q4_K_M  ", "Qwen3-8B-Q4_K_M")]
    [InlineData("qwen3-8b", "Qwen3-8B-Q4_K_M")]
    [InlineData("QWEN3-CODER", "Qwen3-Coder-30B-A3B-Instruct-Q4_K_M")]
    [InlineData("gpt-oss-120b", "gpt-oss-120b-MXFP4")]
    [InlineData("Qwen3-8B", "Qwen3-8B-Q4_K_M")]
    [InlineData("Qwen3-8B-Q4", "Qwen3-8B-Q4_K_M")]
    [InlineData("Qwen3-30B-A3B", "Qwen3-30B-A3B-Q4_K_M")]
    [InlineData("Mistral", "Mistral-Small-3.2-24B-Instruct-2506-Q4_K_M")]
    [InlineData("Llama-3.3", "Llama-3.3-70B-Instruct-Q4_K_M")]
    [InlineData("70b", "Llama-3.3-70B-Instruct-Q4_K_M")]
    [InlineData("coder", "Qwen3-Coder-30B-A3B-Instruct-Q4_K_M")]
    [InlineData("Qwen3-0.6B", "Qwen3-0.6B-Q4_K_M")]
    public void Resolve_CatalogNameAliasOrUniquePrefix(string input, string expected)
    {
        Assert.Equal(expected, CatalogName(Resolve(input)));
    }

    [Theory]
    [InlineData("8B", "Llama-3.1-8B-Instruct-Q4_K_M", "Qwen3-8B-Q4_K_M")]
    [InlineData("32b", "DeepSeek-R1-Distill-Qwen-32B-Q4_K_M", "Qwen3-32B-Q4_K_M")]
    [InlineData("14B", "DeepSeek-R1-Distill-Qwen-14B-Q4_K_M", "Qwen3-14B-Q4_K_M")]
    [InlineData("gpt-oss", "gpt-oss-120b-MXFP4", "gpt-oss-20b-MXFP4")]
    [InlineData("Qwen3-30B", "Qwen3-30B-A3B-Q4_K_M")]
    public void Resolve_SeveralMatches_IsAmbiguousOrExact(string input, params string[] expected)
    {
        var result = Resolve(input);
        if (expected.Length == 1)
        {
            Assert.Equal(expected[0], CatalogName(result));
            return;
        }

        var ambiguous = Assert.IsType<Resolution.Ambiguous>(result);
        Assert.Equal(expected, ambiguous.Candidates);
        Assert.Equal($"'{input}' matches {expected.Length} models: {string.Join(", ", expected)}. Give more of the name.", ambiguous.Message);
    }

    [Fact]
    public void Resolve_FamilyPrefix_ListsEveryModelOfIt()
    {
        var ambiguous = Assert.IsType<Resolution.Ambiguous>(Resolve("gemma-3"));
        Assert.Equal(["Gemma-3-12B-it-Q4_K_M", "Gemma-3-1B-it-Q4_K_M", "Gemma-3-27B-it-Q4_K_M", "Gemma-3-4B-it-Q4_K_M"], ambiguous.Candidates);
        var qwen = Assert.IsType<Resolution.Ambiguous>(Resolve("Qwen3"));
        Assert.Equal(9, qwen.Candidates.Count);
        Assert.Contains("and 1 more", qwen.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Qwen3-3")]
    [InlineData("Qwen3-23")]
    [InlineData("gemma-3-1")]
    [InlineData("wen3-8b")]
    public void Resolve_PartialNameParts_AreNotPrefixes(string input)
    {
        Assert.IsType<Resolution.NotFound>(Resolve(input));
    }

    [Fact]
    public void Resolve_Unknown_SuggestsCloseNames()
    {
        var notFound = Assert.IsType<Resolution.NotFound>(Resolve("qwen3-8"));
        Assert.Equal("Qwen3-8B-Q4_K_M", notFound.Suggestions[0]);
        Assert.InRange(notFound.Suggestions.Count, 1, 5);
        Assert.StartsWith("No model named 'qwen3-8' in the catalog or on disk. Did you mean Qwen3-8B-Q4_K_M, ", notFound.Message, StringComparison.Ordinal);

        Assert.Equal("Qwen3-8B-Q4_K_M", Assert.IsType<Resolution.NotFound>(Resolve("qwne3-8b")).Suggestions[0]);
        Assert.Equal("gpt-oss-20b-MXFP4", Assert.IsType<Resolution.NotFound>(Resolve("gpt-oss-20")).Suggestions[0]);
    }

    [Fact]
    public void Resolve_NothingClose_HasNoSuggestions()
    {
        var notFound = Assert.IsType<Resolution.NotFound>(Resolve("zzzzzzzzzzzz"));
        Assert.Empty(notFound.Suggestions);
        Assert.Equal("No model named 'zzzzzzzzzzzz' in the catalog or on disk. Pass a catalog name (docs/MODELS.md), a .gguf file path, or ORG/REPO/FILE.gguf from Hugging Face.", notFound.Message);
    }

    [Fact]
    public void Resolve_Empty_IsNotFound()
    {
        Assert.StartsWith("No model given.", Assert.IsType<Resolution.NotFound>(Resolve("  ")).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Resolve_ModelOnDisk_ByNameOrPrefix()
    {
        var mine = Disk("My-Finetune-7B-Q5_K_M");
        Assert.Equal(mine.Path, Assert.IsType<Resolution.LocalFile>(Resolve("my-finetune-7b-q5_k_m", mine)).Path);
        Assert.Equal(mine.Path, Assert.IsType<Resolution.LocalFile>(Resolve("My-Finetune", mine)).Path);
        Assert.Equal(["Qwen3-8B-Q4_K_M", "Qwen3-8B-Q4_K_M-custom"], Assert.IsType<Resolution.Ambiguous>(Resolve("Qwen3-8B-Q4", mine, Disk("Qwen3-8B-Q4_K_M-custom"))).Candidates);
    }

    [Fact]
    public void Resolve_CatalogModelOnDiskUnderItsUpstreamName_IsTheCatalogEntry()
    {
        var upstream = Disk("gemma-3-1b-it-Q4_K_M");
        Assert.Equal("Gemma-3-1B-it-Q4_K_M", CatalogName(Resolve("gemma-3-1b-it-Q4_K_M", upstream)));
        Assert.Equal("Llama-3.1-8B-Instruct-Q4_K_M", CatalogName(Resolve("Meta-Llama-3.1", Disk("Meta-Llama-3.1-8B-Instruct-Q4_K_M"))));
    }

    [Fact]
    public void Resolve_LocalExactNameBeatsAnAliasOfTheCatalog()
    {
        var local = Disk("qwen3-8b");
        Assert.Equal(local.Path, Assert.IsType<Resolution.LocalFile>(Resolve("qwen3-8b", local)).Path);
    }

    [Fact]
    public void Resolve_ExistingFile_IsLocalFile()
    {
        var path = Path.Combine(_folder, "Qwen3-8B-Q4_K_M.gguf");
        File.WriteAllBytes(path, [1, 2, 3]);
        Assert.Equal(path, Assert.IsType<Resolution.LocalFile>(Resolve(path)).Path);
    }

    [Theory]
    [InlineData("/nonexistent/dir/model.gguf")]
    [InlineData("./missing.gguf")]
    [InlineData("missing.gguf")]
    [InlineData("sub/missing.gguf")]
    public void Resolve_MissingPath_SaysTheFileDoesNotExist(string input)
    {
        var notFound = Assert.IsType<Resolution.NotFound>(Resolve(input));
        Assert.Matches(@"^File .*missing\.gguf does not exist\. Check the path|^File /nonexistent/dir/model\.gguf does not exist", notFound.Message);
    }

    [Theory]
    [InlineData("https://huggingface.co/me/Repo-GGUF/resolve/main/model-Q4_K_M.gguf", "me/Repo-GGUF", "main", "model-Q4_K_M.gguf")]
    [InlineData("https://huggingface.co/me/Repo-GGUF/blob/main/model-Q4_K_M.gguf", "me/Repo-GGUF", "main", "model-Q4_K_M.gguf")]
    [InlineData("https://huggingface.co/me/Repo-GGUF/resolve/v2/sub/dir/model.gguf?download=true", "me/Repo-GGUF", "v2", "sub/dir/model.gguf")]
    [InlineData("https://hf.co/me/Repo-GGUF/resolve/main/with%20space.gguf", "me/Repo-GGUF", "main", "with space.gguf")]
    [InlineData("me/Repo-GGUF/model-Q4_K_M.gguf", "me/Repo-GGUF", null, "model-Q4_K_M.gguf")]
    [InlineData("me/Repo-GGUF/Q4_K_M/model-Q4_K_M.gguf", "me/Repo-GGUF", null, "Q4_K_M/model-Q4_K_M.gguf")]
    [InlineData("me/Repo-GGUF/resolve/dev/model.gguf", "me/Repo-GGUF", "dev", "model.gguf")]
    public void Resolve_HubReference_IsHubFiles(string input, string repo, string? branch, string path)
    {
        var hub = Assert.IsType<Resolution.HubFiles>(Resolve(input));
        Assert.Equal(repo, hub.Repo);
        Assert.Equal(branch, hub.Branch);
        Assert.Equal([path], hub.Paths);
    }

    [Theory]
    [InlineData("me/Big-GGUF/Q4/big-00002-of-00003.gguf")]
    [InlineData("https://huggingface.co/me/Big-GGUF/resolve/main/Q4/big-00001-of-00003.gguf")]
    public void Resolve_SplitPart_ExpandsToAllParts(string input)
    {
        var hub = Assert.IsType<Resolution.HubFiles>(Resolve(input));
        Assert.Equal(["Q4/big-00001-of-00003.gguf", "Q4/big-00002-of-00003.gguf", "Q4/big-00003-of-00003.gguf"], hub.Paths);
    }

    [Theory]
    [InlineData("unsloth/Qwen3-8B-GGUF/Qwen3-8B-Q4_K_M.gguf", "Qwen3-8B-Q4_K_M")]
    [InlineData("https://huggingface.co/unsloth/Qwen3-8B-GGUF/resolve/main/Qwen3-8B-Q4_K_M.gguf", "Qwen3-8B-Q4_K_M")]
    [InlineData("unsloth/gemma-3-1b-it-GGUF/gemma-3-1b-it-Q4_K_M.gguf", "Gemma-3-1B-it-Q4_K_M")]
    [InlineData("ggml-org/gpt-oss-120b-GGUF/gpt-oss-120b-mxfp4-00003-of-00003.gguf", "gpt-oss-120b-MXFP4")]
    [InlineData("unsloth/Qwen3-235B-A22B-GGUF/Q4_K_M/Qwen3-235B-A22B-Q4_K_M-00001-of-00003.gguf", "Qwen3-235B-A22B-Q4_K_M")]
    public void Resolve_HubReferenceToACatalogModelsFiles_IsTheCatalogModel(string input, string expected)
    {
        Assert.Equal(expected, CatalogName(Resolve(input)));
    }

    [Fact]
    public void Resolve_HubReferenceOnAnotherBranch_StaysHubFiles()
    {
        Assert.IsType<Resolution.HubFiles>(Resolve("unsloth/Qwen3-8B-GGUF/resolve/dev/Qwen3-8B-Q4_K_M.gguf"));
    }

    [Theory]
    [InlineData("https://example.com/model.gguf", "is not a Hugging Face URL")]
    [InlineData("https://huggingface.co/unsloth/Qwen3-8B-GGUF", "does not name a file")]
    [InlineData("https://huggingface.co/unsloth/Qwen3-8B-GGUF/resolve/main/README.md", "does not end in a .gguf file")]
    [InlineData("unsloth/Qwen3-8B-GGUF/README.md", "does not end in a .gguf file")]
    [InlineData("unsloth/Qwen3-8B-GGUF", "names a repository, not a file")]
    [InlineData("unsloth/Qwen3-8B-GGUF/../x.gguf", "does not end in a .gguf file")]
    public void Resolve_BadHubReference_SaysWhatIsWrong(string input, string expected)
    {
        var notFound = Assert.IsType<Resolution.NotFound>(Resolve(input));
        Assert.Contains(expected, notFound.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', notFound.Message);
    }
}
