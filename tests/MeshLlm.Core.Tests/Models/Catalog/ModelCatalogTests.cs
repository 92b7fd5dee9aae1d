using System.Text.RegularExpressions;

namespace MeshLlm.Models;

public sealed partial class ModelCatalogTests
{
    private static readonly ModelCatalog s_catalog = ModelCatalog.LoadEmbedded();

    [GeneratedRegex(@"-(\d{5})-of-(\d{5})\.gguf$")]
    private static partial Regex SplitSuffix();

    [Fact]
    public void LoadEmbedded_IsValid()
    {
        Assert.Empty(s_catalog.Validate());
        Assert.Equal("embedded catalog", s_catalog.Source);
        Assert.True(s_catalog.Models.Count >= 20, $"only {s_catalog.Models.Count} models");
    }

    [Fact]
    public void Drafts_ExistAreFlaggedAndShareTheFamily()
    {
        foreach (var main in s_catalog.Models.Where(m => m.Draft is not null))
        {
            var draft = s_catalog.Find(main.Draft!);
            Assert.True(draft is not null, $"{main.Name}: draft {main.Draft} is not in the catalog");
            Assert.True(draft.IsDraft, $"{main.Name}: draft {draft.Name} is not flagged is_draft");
            Assert.Equal(main.Family, draft.Family);
            Assert.True(draft.SizeBytes * 2 < main.SizeBytes, $"{main.Name}: draft {draft.Name} is not much smaller");
        }
    }

    [Fact]
    public void MainModels_HaveADraftOrAReason_AndDraftsHaveNeither()
    {
        foreach (var m in s_catalog.Models)
        {
            if (m.IsDraft)
            {
                Assert.Null(m.Draft);
                Assert.Null(m.NoDraftReason);
            }
            else
            {
                Assert.True((m.Draft is null) != (m.NoDraftReason is null), $"{m.Name}: needs exactly one of draft / no_draft_reason");
            }
        }

        Assert.Equal(4, s_catalog.Models.Count(m => m.IsDraft));
    }

    [Fact]
    public void Names_AreUniqueIgnoringCase_AndSane_AndAliasesDoNotCollide()
    {
        var keys = s_catalog.Models.SelectMany(m => m.Aliases.Prepend(m.Name)).ToList();
        Assert.Equal(keys.Count, keys.Distinct(StringComparer.OrdinalIgnoreCase).Count());
        Assert.All(s_catalog.Models, m => Assert.Matches(@"^[A-Za-z0-9][A-Za-z0-9._-]+$", m.Name));
        Assert.All(s_catalog.Models.SelectMany(m => m.Aliases), a => Assert.Equal(a.ToLowerInvariant(), a));
    }

    [Fact]
    public void Sizes_ArePlausibleForParamsAndQuant()
    {
        foreach (var m in s_catalog.Models)
        {
            var bits = m.SizeBytes * 8.0 / (m.ParamsB * 1e9);
            var (min, max) = m.Quant switch
            {
                "Q4_K_M" => (4.0, 7.0),
                "MXFP4" => (4.0, 5.5),
                _ => throw new Xunit.Sdk.XunitException($"{m.Name}: add a plausible range for {m.Quant} to this test"),
            };
            Assert.True(bits >= min && bits <= max, $"{m.Name}: {bits:0.00} bits per parameter is outside {min}-{max} for {m.Quant}");
            Assert.True(m.ActiveParamsB is null || m.ActiveParamsB < m.ParamsB, $"{m.Name}: active parameters must be fewer than total");
        }
    }

    [Fact]
    public void Files_SumToSize_AndSplitPartsAreNumberedConsecutively()
    {
        foreach (var m in s_catalog.Models)
        {
            Assert.Equal(m.Files.Sum(f => f.SizeBytes), m.SizeBytes);
            Assert.All(m.Files, f => Assert.EndsWith(".gguf", f.Path, StringComparison.Ordinal));
            Assert.All(m.Files, f => Assert.Null(f.Sha256));
            Assert.Single(m.Files.Select(f => f.Repo).Distinct());
            if (m.Files.Count == 1)
            {
                Assert.DoesNotMatch(SplitSuffix(), m.Files[0].Path);
                continue;
            }

            for (var i = 0; i < m.Files.Count; i++)
            {
                var match = SplitSuffix().Match(m.Files[i].Path);
                Assert.True(match.Success, $"{m.Files[i].Path} is not a split part");
                Assert.Equal((i + 1).ToString("00000", System.Globalization.CultureInfo.InvariantCulture), match.Groups[1].Value);
                Assert.Equal(m.Files.Count.ToString("00000", System.Globalization.CultureInfo.InvariantCulture), match.Groups[2].Value);
            }
        }

        Assert.Contains(s_catalog.Models, m => m.Files.Count > 1 && m.Files[0].Path.Contains('/', StringComparison.Ordinal));
    }

    [Fact]
    public void Quality_HasAScoreABenchmarkADateAndAnHttpsSource()
    {
        foreach (var m in s_catalog.Models)
        {
            Assert.InRange(m.Quality.Score, 0, 100);
            Assert.False(string.IsNullOrWhiteSpace(m.Quality.Benchmark), m.Name);
            Assert.Matches(@"^\d{4}-\d{2}$", m.Quality.Date);
            Assert.StartsWith("https://", m.Quality.Source, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Starter_IsExactlyOneSmallMainModel()
    {
        var starter = Assert.Single(s_catalog.Models, m => m.Starter);
        Assert.False(starter.IsDraft);
        Assert.NotNull(starter.Draft);
        Assert.True(starter.SizeBytes < 2_000_000_000, $"{starter.Name} is {starter.SizeBytes} bytes, not a fast first download");
        Assert.Same(starter, ModelTiers.StarterModel(s_catalog));
    }

    [Theory]
    [InlineData("Qwen3-8B-Q4_K_M", "Qwen3-8B-Q4_K_M")]
    [InlineData("qwen3-8b-q4_k_m", "Qwen3-8B-Q4_K_M")]
    [InlineData("qwen3-8b", null)]
    [InlineData("Qwen3-8B", null)]
    public void Find_IsExactNameIgnoringCase_NotAliasOrPrefix(string name, string? expected)
    {
        Assert.Equal(expected, s_catalog.Find(name)?.Name);
    }

    [Theory]
    [InlineData("Gemma-3-1B-it-Q4_K_M", "Gemma-3-1B-it-Q4_K_M")]
    [InlineData("gemma-3-1b-it-Q4_K_M", "Gemma-3-1B-it-Q4_K_M")]
    [InlineData("Meta-Llama-3.1-8B-Instruct-Q4_K_M", "Llama-3.1-8B-Instruct-Q4_K_M")]
    [InlineData("gpt-oss-120b-mxfp4", "gpt-oss-120b-MXFP4")]
    [InlineData("my-finetune", null)]
    public void FindLocal_MatchesCatalogNameOrUpstreamFileName(string localName, string? expected)
    {
        Assert.Equal(expected, s_catalog.FindLocal(localName)?.Name);
    }

    [Theory]
    [InlineData("Qwen3-0.6B-Q4_K_M", true)]
    [InlineData("gemma-3-1b-it-Q4_K_M", true)]
    [InlineData("DeepSeek-R1-Distill-Qwen-1.5B-Q4_K_M", true)]
    [InlineData("Qwen3-1.7B-Q4_K_M", false)]
    [InlineData("Qwen3-8B-Q4_K_M", false)]
    [InlineData("Qwen2.5-0.5B-Instruct-Q4_K_M", true)]
    [InlineData("qwen2.5-0.5b-instruct-q8_0", true)]
    [InlineData("my-finetune", false)]
    public void LocalModelsIsDraft_UsesTheCatalogThenNamePrefixes(string name, bool expected)
    {
        Assert.Equal(expected, LocalModels.IsDraft(name, s_catalog));
    }

    [Fact]
    public void IsDraft_CatalogFlagWinsOverPrefix()
    {
        var entry = s_catalog.Find("Qwen3-8B-Q4_K_M")! with { Name = "Qwen3-0.6B-finetune", Draft = null, NoDraftReason = "test" };
        var catalog = new ModelCatalog([entry], "test");
        Assert.False(LocalModels.IsDraft("Qwen3-0.6B-finetune", catalog));
    }
}
