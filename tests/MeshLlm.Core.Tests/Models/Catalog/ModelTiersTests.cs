using MeshLlm.Planning;

namespace MeshLlm.Models;

public sealed class ModelTiersTests
{
    private const long Gb = 1_000_000_000;
    private static readonly ModelCatalog s_catalog = ModelCatalog.LoadEmbedded();

    /// <summary>Usable memory from 0.5 GB to 220 GB in quarter-GB steps.</summary>
    private static IEnumerable<long> Sizes() => Enumerable.Range(2, 880).Select(q => q * Gb / 4);

    [Theory]
    [InlineData(2, "Qwen3-1.7B-Q4_K_M")]
    [InlineData(4, "Qwen3-4B-Q4_K_M")]
    [InlineData(8, "Qwen3-8B-Q4_K_M")]
    [InlineData(12, "Qwen3-8B-Q4_K_M")]
    [InlineData(16, "Qwen3-14B-Q4_K_M")]
    [InlineData(24, "Qwen3-14B-Q4_K_M")]
    [InlineData(32, "Qwen3-30B-A3B-Q4_K_M")]
    [InlineData(64, "Qwen3-30B-A3B-Q4_K_M")]
    [InlineData(192, "Qwen3-30B-A3B-Q4_K_M")]
    [InlineData(256, "Qwen3-235B-A22B-Q4_K_M")]
    public void Recommend_Bands_PickTheExpectedModel(int gb, string expected)
    {
        var choice = ModelTiers.Recommend(gb * Gb, s_catalog);
        Assert.Equal(expected, choice.Recommended?.Name);
        Assert.Equal(TierFit.Fits, choice.Fit);
    }

    [Fact]
    public void Recommend_NeverPicksAModelThatDoesNotLoadByThePlannersRule()
    {
        foreach (var usable in Sizes())
        {
            var choice = ModelTiers.Recommend(usable, s_catalog);
            if (choice.Recommended is { } pick)
            {
                Assert.True(AssignmentPolicy.Fits(pick.SizeBytes, usable), $"{pick.Name} ({pick.SizeBytes}) recommended for {usable}");
                Assert.True(usable >= pick.SizeBytes * 1.1);
            }
        }
    }

    [Fact]
    public void Recommend_MoreMemory_NeverPicksALowerValueOrLowerQuality()
    {
        CatalogEntry? previous = null;
        foreach (var usable in Sizes())
        {
            var pick = ModelTiers.Recommend(usable, s_catalog).Recommended;
            if (previous is not null)
            {
                Assert.NotNull(pick);
                Assert.True(ModelTiers.Value(pick) >= ModelTiers.Value(previous), $"at {usable}: {pick.Name} after {previous.Name}");
                Assert.True(pick.Quality.Score >= previous.Quality.Score, $"at {usable}: {pick.Name} ({pick.Quality.Score}) after {previous.Name} ({previous.Quality.Score})");
            }

            previous = pick ?? previous;
        }
    }

    [Fact]
    public void Recommend_PicksOnlyMainModelsWithADraftInTheCatalog()
    {
        var picks = Sizes().Select(u => ModelTiers.Recommend(u, s_catalog))
            .SelectMany(c => c.Alternatives.Select(a => a.Entry).Prepend(c.Recommended)).OfType<CatalogEntry>().Distinct();
        foreach (var entry in picks)
        {
            Assert.False(entry.IsDraft, entry.Name);
            var draft = s_catalog.Find(entry.Draft!);
            Assert.True(draft is { IsDraft: true } && draft.Family == entry.Family, $"{entry.Name}: draft {entry.Draft}");
        }

        Assert.All(s_catalog.Models.Where(ModelTiers.CanRecommend), m => Assert.NotNull(m.Draft));
    }

    [Fact]
    public void Recommend_AtTheFitBoundary_IsTightThenNothing()
    {
        var starter = ModelTiers.StarterModel(s_catalog);
        var limit = (long)Math.Ceiling(starter.SizeBytes * 1.1);

        var tight = ModelTiers.Recommend(limit, s_catalog);
        Assert.Equal(starter.Name, tight.Recommended?.Name);
        Assert.Equal(TierFit.Tight, tight.Fit);

        var none = ModelTiers.Recommend(limit - 1, s_catalog);
        Assert.Null(none.Recommended);
        Assert.Equal(TierFit.TooBig, none.Fit);
        Assert.StartsWith("No catalog model loads in 1.4 GB", none.Reason, StringComparison.Ordinal);
        Assert.Equal(starter.Name, none.Alternatives[0].Entry.Name);
    }

    [Fact]
    public void FitOf_Boundaries()
    {
        var entry = s_catalog.Find("Qwen3-8B-Q4_K_M")!;
        var comfortable = (long)Math.Ceiling(entry.SizeBytes / ModelTiers.ComfortableShare);
        Assert.Equal(TierFit.Fits, ModelTiers.FitOf(entry, comfortable));
        Assert.Equal(TierFit.Tight, ModelTiers.FitOf(entry, comfortable - 1));
        Assert.Equal(TierFit.Tight, ModelTiers.FitOf(entry, (long)Math.Ceiling(entry.SizeBytes * 1.1)));
        Assert.Equal(TierFit.TooBig, ModelTiers.FitOf(entry, (long)Math.Ceiling(entry.SizeBytes * 1.1) - 1));
        Assert.Equal(TierFit.TooBig, ModelTiers.FitOf(entry, 0));
    }

    [Fact]
    public void Recommend_Alternatives_ShowOtherFamiliesBeforeASecondModelOfOne()
    {
        var choice = ModelTiers.Recommend(32 * Gb, s_catalog);
        var fitting = choice.Alternatives.Where(a => a.Fit == TierFit.Fits).Select(a => a.Entry).ToList();
        Assert.DoesNotContain(choice.Recommended, fitting);
        Assert.True(fitting.Count >= 3);
        var otherFamilies = s_catalog.Models.Where(m => ModelTiers.CanRecommend(m) && ModelTiers.FitOf(m, 32 * Gb) == TierFit.Fits)
            .Select(m => m.Family).Distinct().Count(f => f != choice.Recommended!.Family);
        var firstFamilies = fitting.Take(otherFamilies).Select(m => m.Family).ToList();
        Assert.Equal(otherFamilies, firstFamilies.Distinct().Count());
        Assert.DoesNotContain(choice.Recommended!.Family, firstFamilies);
    }

    [Fact]
    public void Recommend_Alternatives_AreFitsThenTightThenBetterUpgrades()
    {
        foreach (var usable in Sizes())
        {
            var choice = ModelTiers.Recommend(usable, s_catalog);
            var fits = choice.Alternatives.Select(a => a.Fit).ToList();
            Assert.Equal(fits.Order(), fits);
            Assert.Equal(choice.Alternatives.Count, choice.Alternatives.Select(a => a.Entry.Name).Distinct().Count());
            Assert.True(choice.Alternatives.Count(a => a.Fit == TierFit.TooBig) <= ModelTiers.MaxUpgrades);
            Assert.All(choice.Alternatives, a => Assert.Equal(ModelTiers.FitOf(a.Entry, usable), a.Fit));
            if (choice.Recommended is { } pick)
            {
                Assert.All(choice.Alternatives.Where(a => a.Fit == TierFit.TooBig), a => Assert.True(ModelTiers.Value(a.Entry) > ModelTiers.Value(pick)));
            }
        }
    }

    [Fact]
    public void Recommend_IsDeterministic()
    {
        static string Describe(TierChoice c) => c.Recommended?.Name + ":" + string.Join(",", c.Alternatives.Select(a => a.Entry.Name + a.Fit));
        Assert.All(Sizes(), u => Assert.Equal(Describe(ModelTiers.Recommend(u, s_catalog)), Describe(ModelTiers.Recommend(u, ModelCatalog.LoadEmbedded()))));
    }

    [Fact]
    public void Value_PrefersAFastMoeOverADenseModelOfSimilarQuality()
    {
        var moe = s_catalog.Find("Qwen3-30B-A3B-Q4_K_M")!;
        var dense = s_catalog.Find("Qwen3-32B-Q4_K_M")!;
        Assert.True(dense.Quality.Score > moe.Quality.Score);
        Assert.True(ModelTiers.Value(moe) > ModelTiers.Value(dense));
        Assert.True(moe.BytesPerToken * 5 < moe.SizeBytes);
    }

    [Fact]
    public void Table_HasOneRowPerBand()
    {
        Assert.Equal(ModelTiers.BandsGb.Count, ModelTiers.Table(s_catalog).Count);
        var lines = ModelTiers.RenderTable(s_catalog).TrimEnd('\n').Split('\n');
        Assert.Equal(ModelTiers.BandsGb.Count + 2, lines.Length);
        Assert.StartsWith("| 2 GB | Qwen3-1.7B-Q4_K_M | 1.3 GB | fits |", lines[2], StringComparison.Ordinal);
    }
}
