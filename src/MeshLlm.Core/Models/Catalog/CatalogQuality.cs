namespace MeshLlm.Models;

/// <summary>How good a catalog model is, as one 0-100 number with where it came from (docs/MODELS.md, "Quality score").</summary>
public sealed record CatalogQuality
{
    /// <summary>0 to 100, higher is better; comparable only across entries with the same benchmark definition.</summary>
    public required double Score { get; init; }

    /// <summary>The benchmark or leaderboard the score was taken from, or <c>estimate: why</c> where it was estimated.</summary>
    public required string Benchmark { get; init; }

    /// <summary>When the score was read or estimated, <c>yyyy-MM</c>.</summary>
    public required string Date { get; init; }

    /// <summary>An https URL where the score (or the model, for estimates) can be checked.</summary>
    public required string Source { get; init; }
}
