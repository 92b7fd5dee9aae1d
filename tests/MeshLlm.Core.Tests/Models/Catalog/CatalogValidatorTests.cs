namespace MeshLlm.Models;

public sealed class CatalogValidatorTests
{
    private static readonly ModelCatalog s_catalog = ModelCatalog.LoadEmbedded();

    private static CatalogEntry Entry(string name) => s_catalog.Find(name)!;

    private static IReadOnlyList<string> ProblemsWith(params CatalogEntry[] changed)
    {
        var names = changed.Select(c => c.Name).ToHashSet(StringComparer.Ordinal);
        return new ModelCatalog([.. s_catalog.Models.Where(m => !names.Contains(m.Name)), .. changed], "test").Validate();
    }

    private static void AssertProblem(string expectedPart, IReadOnlyList<string> problems) =>
        Assert.True(problems.Any(p => p.Contains(expectedPart, StringComparison.Ordinal)), $"expected a problem containing '{expectedPart}', got: {string.Join(" | ", problems)}");

    [Fact]
    public void Validate_DraftNotInCatalog_IsAProblem() =>
        AssertProblem("draft 'Nope' is not in the catalog", ProblemsWith(Entry("Qwen3-8B-Q4_K_M") with { Draft = "Nope" }));

    [Fact]
    public void Validate_DraftNotFlagged_IsAProblem() =>
        AssertProblem("must have is_draft: true", ProblemsWith(Entry("Qwen3-32B-Q4_K_M") with { Draft = "Qwen3-1.7B-Q4_K_M" }));

    [Fact]
    public void Validate_DraftOfAnotherFamily_IsAProblem() =>
        AssertProblem("needs the same tokenizer", ProblemsWith(Entry("Qwen3-8B-Q4_K_M") with { Draft = "Gemma-3-1B-it-Q4_K_M" }));

    [Fact]
    public void Validate_NeitherDraftNorReason_IsAProblem() =>
        AssertProblem("exactly one of draft", ProblemsWith(Entry("Qwen3-8B-Q4_K_M") with { Draft = null }));

    [Fact]
    public void Validate_DuplicateNameIgnoringCase_IsAProblem()
    {
        var copy = Entry("Qwen3-8B-Q4_K_M") with { Name = "qwen3-8b-q4_k_m", Aliases = [] };
        AssertProblem("must be unique ignoring case", new ModelCatalog([.. s_catalog.Models, copy], "test").Validate());
    }

    [Fact]
    public void Validate_AliasEqualToAnotherName_IsAProblem() =>
        AssertProblem("already a name or alias", ProblemsWith(Entry("Qwen3-4B-Q4_K_M") with { Aliases = ["qwen3-8b"] }));

    [Fact]
    public void Validate_ImplausibleSize_IsAProblem()
    {
        var entry = Entry("Qwen3-8B-Q4_K_M");
        AssertProblem("bits per parameter", ProblemsWith(entry with { Files = [entry.Files[0] with { SizeBytes = 500_000_000 }] }));
    }

    [Fact]
    public void Validate_SplitPartsOutOfOrderOrMissing_IsAProblem()
    {
        var entry = Entry("gpt-oss-120b-MXFP4");
        AssertProblem("split parts", ProblemsWith(entry with { Files = [entry.Files[1], entry.Files[0], entry.Files[2]] }));
        AssertProblem("split parts", ProblemsWith(entry with { Files = [entry.Files[0], entry.Files[2]] }));
    }

    [Fact]
    public void Validate_TwoFilesWithoutSplitNames_IsAProblem()
    {
        var entry = Entry("Qwen3-8B-Q4_K_M");
        var half = entry.Files[0] with { SizeBytes = entry.SizeBytes / 2 };
        AssertProblem("split parts", ProblemsWith(entry with { Files = [half, half with { Path = "other.gguf" }] }));
    }

    [Theory]
    [InlineData("http://example.com")]
    [InlineData("leaderboard")]
    [InlineData("")]
    public void Validate_QualitySourceNotHttps_IsAProblem(string source)
    {
        var entry = Entry("Qwen3-8B-Q4_K_M");
        AssertProblem("https URL", ProblemsWith(entry with { Quality = entry.Quality with { Source = source } }));
    }

    [Fact]
    public void Validate_TwoStarters_IsAProblem() =>
        AssertProblem("more than one starter", ProblemsWith(Entry("Qwen3-4B-Q4_K_M") with { Starter = true }));

    [Theory]
    [InlineData("../escape.gguf")]
    [InlineData("/abs.gguf")]
    [InlineData("model.bin")]
    public void Validate_BadFilePath_IsAProblem(string path)
    {
        var entry = Entry("Qwen3-8B-Q4_K_M");
        AssertProblem("relative .gguf path", ProblemsWith(entry with { Files = [entry.Files[0] with { Path = path }] }));
    }

    [Fact]
    public void Validate_BadSha256_IsAProblem()
    {
        var entry = Entry("Qwen3-8B-Q4_K_M");
        AssertProblem("sha256", ProblemsWith(entry with { Files = [entry.Files[0] with { Sha256 = "ABC" }] }));
    }
}
