using MeshLlm.Membership;
using MeshLlm.Membership.Messages;
using MeshLlm.Models;

namespace MeshLlm.Planning;

/// <summary>A decision to serve a model, and why.</summary>
public sealed record Assignment(LocalModel Model, string Reason);

/// <summary>
/// Which model a node without <c>--model</c> should serve (DESIGN.md §9); pure, so every rule is tested alone.
/// Candidates are models on this node's disk that fit (usable memory ≥ size × 1.1) and are not drafts.
/// </summary>
public static class AssignmentPolicy
{
    /// <summary>Demand per server (requests per minute) at which a standby node joins in.</summary>
    public const double HotPerServer = 10;

    /// <summary>...and how many times hotter than the coldest other served model it must be.</summary>
    public const double HotterThanColdest = 3;

    public static bool Fits(long sizeBytes, long usableBytes) => usableBytes >= sizeBytes * 1.1;

    /// <summary>
    /// For an <c>--auto</c> joiner with nothing to serve on disk: the catalog model to download. A wanted model nobody
    /// serves comes first; else, only when this node has no main model of its own on disk (one that has waits for
    /// demand instead), the served model with the most requests per minute. Drafts, models the catalog does not know
    /// and models that do not fit are never chosen; ties go to the higher quality score, then the name.
    /// </summary>
    public static (CatalogEntry Model, string Reason)? ChooseDownload(
        MembershipSnapshot mesh, ModelCatalog catalog, IReadOnlyDictionary<string, double> ratesPerMinute, long usableBytes, bool hasOwnModels)
    {
        ArgumentNullException.ThrowIfNull(mesh);
        ArgumentNullException.ThrowIfNull(catalog);
        var nodes = LiveNodes(mesh).ToList();
        var served = Servers(mesh).Keys.ToHashSet(StringComparer.Ordinal);
        CatalogEntry? Best(IEnumerable<string> names) => names.Distinct(StringComparer.Ordinal)
            .Select(n => catalog.Find(n) is { IsDraft: false } e && Fits(e.SizeBytes, usableBytes) ? e : null).OfType<CatalogEntry>()
            .OrderByDescending(e => ratesPerMinute.GetValueOrDefault(e.Name)).ThenByDescending(e => e.Quality.Score).ThenBy(e => e.Name, StringComparer.Ordinal)
            .FirstOrDefault();
        if (Best(nodes.SelectMany(n => n.Wanted).Where(w => !served.Contains(w))) is { } lacking)
        {
            return (lacking, "wanted by the mesh and served by nobody");
        }

        return !hasOwnModels && Best(served) is { } hottest
            ? (hottest, $"the mesh's busiest model that fits ({ratesPerMinute.GetValueOrDefault(hottest.Name):0.#} requests/min)")
            : null;
    }

    /// <summary>
    /// For a joiner: a wanted model nobody serves, else the served model with the most demand per server, else
    /// nothing (the node waits as standby).
    /// </summary>
    public static Assignment? Choose(MembershipSnapshot mesh, IReadOnlyList<LocalModel> onDisk, long usableBytes, IReadOnlyDictionary<string, double> ratesPerMinute)
    {
        var candidates = Candidates(onDisk, usableBytes);
        if (WantedUnserved(mesh, candidates) is { } wanted)
        {
            return wanted;
        }

        var servers = Servers(mesh);
        var underServed = candidates
            .Where(m => servers.GetValueOrDefault(m.Name) > 0 && ratesPerMinute.GetValueOrDefault(m.Name) > 0)
            .OrderByDescending(m => ratesPerMinute[m.Name] / servers[m.Name])
            .ThenBy(m => m.Name, StringComparer.Ordinal)
            .FirstOrDefault();
        return underServed is null ? null
            : new Assignment(underServed, $"it has the most demand per server ({ratesPerMinute[underServed.Name] / servers[underServed.Name]:0.#} requests/min)");
    }

    /// <summary>
    /// For a standby node: a wanted model that lost its last server, or a model whose demand per server is at
    /// least <see cref="HotPerServer"/> requests/min and <see cref="HotterThanColdest"/> times the coldest other
    /// served model's.
    /// </summary>
    public static Assignment? Promote(MembershipSnapshot mesh, IReadOnlyList<LocalModel> onDisk, long usableBytes, IReadOnlyDictionary<string, double> ratesPerMinute)
    {
        var candidates = Candidates(onDisk, usableBytes);
        if (WantedUnserved(mesh, candidates) is { } wanted)
        {
            return wanted;
        }

        var servers = Servers(mesh);
        var perServer = servers.ToDictionary(s => s.Key, s => ratesPerMinute.GetValueOrDefault(s.Key) / s.Value, StringComparer.Ordinal);
        foreach (var model in candidates.Where(m => perServer.ContainsKey(m.Name)).OrderByDescending(m => perServer[m.Name]))
        {
            var hot = perServer[model.Name];
            var coldest = perServer.Where(p => p.Key != model.Name).Select(p => p.Value).DefaultIfEmpty(0).Min();
            if (IsHot(hot, coldest))
            {
                return new Assignment(model, $"{hot:0.#} requests/min per server, {(coldest == 0 ? "and no other model is busy" : $"{hot / coldest:0.#}× the coldest model")}");
            }
        }

        return null;
    }

    /// <summary>The demand rule's arithmetic, alone.</summary>
    public static bool IsHot(double perServer, double coldestOtherPerServer) =>
        perServer >= HotPerServer && perServer >= HotterThanColdest * coldestOtherPerServer;

    private static List<LocalModel> Candidates(IReadOnlyList<LocalModel> onDisk, long usableBytes) =>
        [.. onDisk.Where(m => !m.IsDraft && Fits(m.SizeBytes, usableBytes))];

    private static Assignment? WantedUnserved(MembershipSnapshot mesh, List<LocalModel> candidates)
    {
        var live = LiveNodes(mesh).ToList();
        var wanted = live.SelectMany(n => n.Wanted).ToHashSet(StringComparer.Ordinal);
        var served = live.Where(n => n.ModelState is "ready" or "loading").Select(n => n.Serving).OfType<string>().ToHashSet(StringComparer.Ordinal);
        var pick = candidates.Where(m => wanted.Contains(m.Name) && !served.Contains(m.Name)).OrderBy(m => m.Name, StringComparer.Ordinal).FirstOrDefault();
        return pick is null ? null : new Assignment(pick, "it is wanted and nobody serves it");
    }

    /// <summary>Ready or loading servers per model among the live nodes.</summary>
    private static Dictionary<string, int> Servers(MembershipSnapshot mesh) =>
        LiveNodes(mesh).Where(n => n.Serving is not null && n.ModelState is "ready" or "loading")
            .GroupBy(n => n.Serving!, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);

    private static IEnumerable<PeerAnnouncement> LiveNodes(MembershipSnapshot mesh) =>
        mesh.Peers.Where(p => p.Health == PeerHealth.Alive).Select(p => p.Announcement).Prepend(mesh.Self);
}
