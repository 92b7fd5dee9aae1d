using MeshLlm.Models;

namespace MeshLlm.Discovery;

/// <summary>What a node looking for a mesh brings to the scoring.</summary>
/// <param name="Now">The time to measure uptime at.</param>
/// <param name="LastMesh">The mesh id in <c>last-mesh</c> (the mesh this node was in before), if any.</param>
/// <param name="MeshName"><c>--mesh-name</c>: only meshes of that name are eligible; null for plain <c>--auto</c>.</param>
/// <param name="Region"><c>--region</c>, if given.</param>
/// <param name="Catalog">Where quality scores come from.</param>
public sealed record ScoringContext(DateTimeOffset Now, string? LastMesh, string? MeshName, string? Region, ModelCatalog Catalog);

/// <summary>A mesh's score with each term that made it, or why it is not a candidate at all.</summary>
public sealed record MeshScore(double Total, IReadOnlyList<ScoreTerm> Terms, string? Ineligible)
{
    public bool IsEligible => Ineligible is null;
}

/// <summary>One term of a <see cref="MeshScore"/>: what it is for and its points.</summary>
public sealed record ScoreTerm(string Name, double Points);

/// <summary>
/// Ranks discovered meshes for <c>--auto</c> and <c>discover</c>: one function, weights below, documented with the
/// reasoning in docs/DISCOVERY.md ("Scoring"). Pure and deterministic.
/// </summary>
public static class MeshScorer
{
    /// <summary>Every eligible mesh starts here.</summary>
    public const double Base = 100;

    /// <summary>Plain <c>--auto</c>: an unnamed mesh or the community mesh named <c>mesh-llm</c>.</summary>
    public const double Community = 300;

    /// <summary>The mesh in <c>last-mesh</c>: come back to where you were.</summary>
    public const double Sticky = 500;

    /// <summary>× log2(1 + hours up), hours capped at <see cref="UptimeCapHours"/>: 10 min ≈ 11, 1 h = 50, 24 h ≈ 232, a week ≈ 370.</summary>
    public const double UptimePerDoubling = 50;

    public const double UptimeCapHours = 168;

    /// <summary>× the best catalog quality score among the served models (about 15 to 45 today, so 60 to 180).</summary>
    public const double QualityWeight = 4;

    /// <summary>Per served model, up to <see cref="MaxServedCounted"/>.</summary>
    public const double PerServedModel = 10;

    public const int MaxServedCounted = 5;

    /// <summary>The listing's region equals <c>--region</c>.</summary>
    public const double RegionMatch = 200;

    /// <summary>Per free client slot, up to <see cref="MaxCapacityPoints"/>; a mesh without a limit gets the maximum.</summary>
    public const double MaxCapacityPoints = 20;

    /// <summary>Per node, up to <see cref="MaxNodesCounted"/> (the original's weight).</summary>
    public const double PerNode = 5;

    public const int MaxNodesCounted = 10;

    /// <summary>Per wanted model (a place where this node's memory helps), up to <see cref="MaxWantedCounted"/>.</summary>
    public const double PerWantedModel = 15;

    public const int MaxWantedCounted = 3;

    /// <summary>The name of the public community mesh, treated like an unnamed one.</summary>
    public const string CommunityName = "mesh-llm";

    public static MeshScore Score(DiscoveredMesh mesh, ScoringContext context)
    {
        ArgumentNullException.ThrowIfNull(mesh);
        ArgumentNullException.ThrowIfNull(context);
        var listing = mesh.Listing;
        var community = listing.Name is null || string.Equals(listing.Name, CommunityName, StringComparison.OrdinalIgnoreCase);
        var ineligible = mesh.IsFull ? $"full ({listing.ClientCount}/{listing.MaxClients} clients)"
            : context.MeshName is { } wanted && !string.Equals(listing.Name, wanted, StringComparison.Ordinal) ? $"not named {wanted}"
            : context.MeshName is null && !community ? $"a private mesh named {listing.Name} (join it with --mesh-name {listing.Name})"
            : null;

        var terms = new List<ScoreTerm> { new("base", Base) };
        if (context.MeshName is null && community)
        {
            terms.Add(new("community", Community));
        }

        if (context.LastMesh is { } last && string.Equals(listing.MeshId, last, StringComparison.Ordinal))
        {
            terms.Add(new("last mesh", Sticky));
        }

        if (mesh.Uptime(context.Now) is { } uptime)
        {
            terms.Add(new("uptime", UptimePerDoubling * Math.Log2(1 + Math.Min(uptime.TotalHours, UptimeCapHours))));
        }

        if (BestQuality(listing, context.Catalog) is { } quality)
        {
            terms.Add(new("quality", QualityWeight * quality));
        }

        terms.Add(new("models", PerServedModel * Math.Min(listing.Serving.Count, MaxServedCounted)));
        if (context.Region is { } region && string.Equals(listing.Region, region, StringComparison.OrdinalIgnoreCase))
        {
            terms.Add(new("region", RegionMatch));
        }

        terms.Add(new("capacity", listing.MaxClients > 0 ? Math.Clamp(listing.MaxClients - listing.ClientCount, 0, MaxCapacityPoints) : MaxCapacityPoints));
        terms.Add(new("nodes", PerNode * Math.Clamp(listing.NodeCount, 0, MaxNodesCounted)));
        terms.Add(new("wanted", PerWantedModel * Math.Min(listing.Wanted.Count, MaxWantedCounted)));
        terms.RemoveAll(t => t.Points == 0 && t.Name != "base");
        return new MeshScore(terms.Sum(t => t.Points), terms, ineligible);
    }

    /// <summary>Eligible meshes, best first (ties: more nodes, then the newer listing); each with its score.</summary>
    public static IReadOnlyList<(DiscoveredMesh Mesh, MeshScore Score)> Rank(IEnumerable<DiscoveredMesh> meshes, ScoringContext context) =>
        [.. meshes.Select(m => (Mesh: m, Score: Score(m, context)))
            .Where(s => s.Score.IsEligible)
            .OrderByDescending(s => s.Score.Total).ThenByDescending(s => s.Mesh.Listing.NodeCount).ThenByDescending(s => s.Mesh.PublishedAt)];

    /// <summary>
    /// The best quality among served models, from this node's catalog; a model the catalog does not know counts as
    /// nothing, because a listing's own claim of quality is not trusted for ranking.
    /// </summary>
    private static double? BestQuality(MeshListing listing, ModelCatalog catalog) =>
        listing.Serving.Select(name => catalog.Find(name) is { IsDraft: false } entry ? entry.Quality.Score : (double?)null).Max();
}
