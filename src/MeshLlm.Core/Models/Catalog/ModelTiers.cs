using System.Globalization;

namespace MeshLlm.Models;

/// <summary>Picks the catalog model a machine should serve for its usable memory; pure and deterministic.</summary>
/// <remarks>
/// The rule (docs/MODELS.md, "Tiers"):
/// 1. Candidates are main models with a draft and the <c>chat</c> capability (drafts and models without a draft are only
///    served when named).
/// 2. A model loads when usable ≥ size × <see cref="FitFactor"/> (the planner's hard rule, <c>AssignmentPolicy.Fits</c>);
///    it fits comfortably at size ≤ <see cref="ComfortableShare"/> × usable, which leaves room for the KV cache of a
///    useful context, the draft and the rest of the machine.
/// 3. Each candidate has a fixed <see cref="Value"/>: quality score + <see cref="SpeedWeight"/> points per halving of the
///    bytes read per generated token (decode speed is memory bandwidth ÷ those bytes, so a MoE counts its active share).
/// 4. The pick is the highest value among the comfortable candidates, else among those that only load (tight).
///    Ties go to the smaller model, then the name.
/// Because the value of a model does not depend on the memory, a larger memory only adds candidates, so the pick's value
/// never goes down as memory grows.
/// </remarks>
public static partial class ModelTiers
{
    /// <summary>The planner's hard limit: a model loads when usable memory ≥ size × 1.1.</summary>
    public const double FitFactor = 1.1;

    /// <summary>The share of usable memory a recommended model may take (0.65): the rest is for context and speed.</summary>
    public const double ComfortableShare = 0.65;

    /// <summary>Quality points a model gains for reading half as many bytes per token (twice the decode speed): 2.</summary>
    public const double SpeedWeight = 2.0;

    /// <summary>Alternatives listed besides the pick (fitting ones): 5.</summary>
    public const int MaxAlternatives = 5;

    /// <summary>Bigger models listed as "with more memory" upgrades: 2.</summary>
    public const int MaxUpgrades = 2;

    private const double BytesPerGb = 1e9;

    /// <summary>How <paramref name="entry"/> fits in <paramref name="usableMemoryBytes"/>.</summary>
    public static TierFit FitOf(CatalogEntry entry, long usableMemoryBytes) =>
        entry.SizeBytes <= ComfortableShare * usableMemoryBytes ? TierFit.Fits
        : usableMemoryBytes >= entry.SizeBytes * FitFactor ? TierFit.Tight
        : TierFit.TooBig;

    /// <summary>Whether the tiers may pick <paramref name="entry"/>: a main chat model that has a draft.</summary>
    public static bool CanRecommend(CatalogEntry entry) =>
        !entry.IsDraft && entry.Draft is not null && entry.Caps.Contains("chat", StringComparer.Ordinal);

    /// <summary>The ranking value: quality score + <see cref="SpeedWeight"/> × log2(1 GB ÷ bytes read per token).</summary>
    public static double Value(CatalogEntry entry) =>
        entry.Quality.Score + SpeedWeight * Math.Log2(BytesPerGb / Math.Max(1, entry.BytesPerToken));

    public static TierChoice Recommend(long usableMemoryBytes, ModelCatalog catalog)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        var ranked = catalog.Models.Where(CanRecommend)
            .Select(e => new TierAlternative(e, FitOf(e, usableMemoryBytes)))
            .OrderByDescending(a => Value(a.Entry)).ThenBy(a => a.Entry.SizeBytes).ThenBy(a => a.Entry.Name, StringComparer.Ordinal)
            .ToList();
        var pick = ranked.FirstOrDefault(a => a.Fit == TierFit.Fits) ?? ranked.FirstOrDefault(a => a.Fit == TierFit.Tight);
        var alternatives = Diversified(ranked.Where(a => a != pick && a.Fit != TierFit.TooBig), pick?.Entry.Family).Take(MaxAlternatives)
            .Concat(ranked.Where(a => a.Fit == TierFit.TooBig && (pick is null || Value(a.Entry) > Value(pick.Entry)))
                .OrderBy(a => a.Entry.SizeBytes).ThenBy(a => a.Entry.Name, StringComparer.Ordinal).Take(MaxUpgrades))
            .ToList();
        return new TierChoice(usableMemoryBytes, pick?.Entry, pick?.Fit ?? TierFit.TooBig, Reason(pick, usableMemoryBytes), alternatives);
    }

    /// <summary>The fast first-run model: the catalog's <c>starter</c> entry, else the smallest model the tiers can pick.</summary>
    /// <exception cref="InvalidOperationException">The catalog has neither.</exception>
    public static CatalogEntry StarterModel(ModelCatalog catalog)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        return catalog.Models.FirstOrDefault(m => m.Starter)
            ?? catalog.Models.Where(CanRecommend).OrderBy(m => m.SizeBytes).ThenBy(m => m.Name, StringComparer.Ordinal).FirstOrDefault()
            ?? throw new InvalidOperationException($"The model catalog {catalog.Source} has no starter and no model with a draft.");
    }

    /// <summary>Ranks by fit, then takes families not yet shown before a family's second model, keeping value order otherwise.</summary>
    private static List<TierAlternative> Diversified(IEnumerable<TierAlternative> ranked, string? pickFamily)
    {
        var shown = new Dictionary<string, int>(StringComparer.Ordinal);
        if (pickFamily is not null)
        {
            shown[pickFamily] = 1;
        }

        var ordered = new List<TierAlternative>();
        foreach (var group in ranked.GroupBy(a => a.Fit).OrderBy(g => g.Key))
        {
            var remaining = group.ToList();
            while (remaining.Count > 0)
            {
                var next = remaining.MinBy(a => shown.GetValueOrDefault(a.Entry.Family))!;
                remaining.Remove(next);
                shown[next.Entry.Family] = shown.GetValueOrDefault(next.Entry.Family) + 1;
                ordered.Add(next);
            }
        }

        return ordered;
    }

    private static string Reason(TierAlternative? pick, long usableMemoryBytes)
    {
        var usable = Gb(usableMemoryBytes);
        if (pick is null)
        {
            return $"No catalog model loads in {usable} of usable memory (a model needs its size × {FitFactor.ToString(CultureInfo.InvariantCulture)}).";
        }

        var size = Gb(pick.Entry.SizeBytes);
        var quality = pick.Entry.Quality.Score.ToString("0.#", CultureInfo.InvariantCulture);
        var share = (ComfortableShare * 100).ToString("0", CultureInfo.InvariantCulture);
        return pick.Fit == TierFit.Fits
            ? $"Best quality for its speed (score {quality}, {size}) among the models that use at most {share}% of {usable}."
            : $"Nothing fits comfortably in {usable}; {size} loads but leaves little room for context.";
    }

    internal static string Gb(long bytes) => string.Create(CultureInfo.InvariantCulture, $"{bytes / BytesPerGb:0.#} GB");
}
