namespace MeshLlm.Models;

/// <summary>How a model sits in a machine's usable memory.</summary>
public enum TierFit
{
    /// <summary>At most <see cref="ModelTiers.ComfortableShare"/> of usable memory: room for context (KV cache) and speed.</summary>
    Fits,

    /// <summary>Loads by the planner's rule (usable ≥ size × <see cref="ModelTiers.FitFactor"/>) but leaves little room for context.</summary>
    Tight,

    /// <summary>Does not load: usable &lt; size × <see cref="ModelTiers.FitFactor"/>.</summary>
    TooBig,
}

/// <summary>A catalog model considered for a machine, with how it fits.</summary>
public sealed record TierAlternative(CatalogEntry Entry, TierFit Fit);

/// <summary>The model <see cref="ModelTiers.Recommend"/> picks for a memory size, why, and what else was considered, best first.</summary>
/// <param name="UsableMemoryBytes">The memory the choice was made for.</param>
/// <param name="Recommended">The pick (never a draft, always a model with a draft), or null when nothing loads.</param>
/// <param name="Fit">How the pick fits (<see cref="TierFit.TooBig"/> when there is none).</param>
/// <param name="Reason">One line on why.</param>
/// <param name="Alternatives">Other candidates: fitting ones ranked with one per family first, then at most
/// <see cref="ModelTiers.MaxUpgrades"/> bigger models that would be better with more memory.</param>
public sealed record TierChoice(long UsableMemoryBytes, CatalogEntry? Recommended, TierFit Fit, string Reason, IReadOnlyList<TierAlternative> Alternatives);
