using MeshLlm.Membership;
using MeshLlm.Membership.Messages;
using MeshLlm.Models;

namespace MeshLlm.Discovery;

/// <summary>What a publisher says about its mesh besides the live state: <c>--mesh-name</c>, <c>--region</c>, <c>--max-clients</c>.</summary>
/// <param name="InviteToken">The publishing node's invite token.</param>
/// <param name="Name">The mesh's name, or null for an unnamed mesh.</param>
/// <param name="Region">Free text such as EU or US-West, or null.</param>
/// <param name="MaxClients">Most <c>--client</c> connections accepted before the listing is withdrawn; 0 = no limit.</param>
/// <param name="Version">mesh-llm's version.</param>
public sealed record ListingSettings(string InviteToken, string? Name, string? Region, int MaxClients, string Version);

/// <summary>Builds this mesh's <see cref="MeshListing"/> from the live membership, demand and the catalog. Pure.</summary>
public static class ListingBuilder
{
    /// <param name="snapshot">The mesh as this node sees it.</param>
    /// <param name="settings">The publisher's flags.</param>
    /// <param name="ratesPerMinute">The mesh's requests per minute per model (<c>DemandTracker.RatesPerMinute</c>).</param>
    /// <param name="catalog">Where per-model quality comes from.</param>
    /// <param name="meshStartedMs">When the mesh started (Unix ms; the earliest start this node has seen); 0 = unknown.</param>
    public static MeshListing Build(
        MembershipSnapshot snapshot, ListingSettings settings, IReadOnlyDictionary<string, double> ratesPerMinute, ModelCatalog catalog, long meshStartedMs)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(ratesPerMinute);
        ArgumentNullException.ThrowIfNull(catalog);
        var nodes = Members(snapshot);
        var ready = Ready(nodes);
        var serving = ready.Select(g => g.Key).ToList();
        var served = serving.ToHashSet(StringComparer.Ordinal);
        return new MeshListing
        {
            InviteToken = settings.InviteToken,
            Serving = serving,
            Wanted = Others(nodes.SelectMany(n => n.Wanted), served),
            OnDisk = Others(nodes.SelectMany(n => n.ModelsOnDisk), served),
            TotalVramBytes = nodes.Sum(n => n.VramBytes),
            NodeCount = nodes.Count,
            ClientCount = snapshot.Clients,
            MaxClients = settings.MaxClients,
            Name = settings.Name,
            Region = settings.Region,
            MeshId = snapshot.Mesh,
            StartedAt = meshStartedMs > 0 ? meshStartedMs / 1000 : 0,
            Version = settings.Version,
            Models = [.. ready.Select(g => new ListedModel(
                g.Key, g.Count(), catalog.Find(g.Key)?.Quality.Score, ratesPerMinute.GetValueOrDefault(g.Key)))],
            Demand = ratesPerMinute.Where(r => r.Value > 0).Take(MeshListing.MaxModels).ToDictionary(r => r.Key, r => r.Value, StringComparer.Ordinal),
        };
    }

    /// <summary>The earliest start among the live nodes (Unix ms), or <paramref name="known"/> when that is earlier.</summary>
    public static long MeshStartedMs(MembershipSnapshot snapshot, long known)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        var earliest = snapshot.Peers.Select(p => p.Announcement.StartedMs)
            .Prepend(snapshot.Self.StartedMs).Where(ms => ms > 0).DefaultIfEmpty(0).Min();
        return known > 0 && (earliest == 0 || known < earliest) ? known : earliest;
    }

    /// <summary>
    /// What a joiner chooses a mesh by (the node count, the ready models, the wanted ones), as a string that changes
    /// exactly when they do: the publisher republishes then. Cheap, unlike <see cref="Build"/>, and without side effects.
    /// </summary>
    public static string ChoiceKey(MembershipSnapshot snapshot)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        var nodes = Members(snapshot);
        var wanted = nodes.SelectMany(n => n.Wanted).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal);
        return $"{nodes.Count}|{string.Join(',', Ready(nodes).Select(g => g.Key))}|{string.Join(',', wanted)}";
    }

    /// <summary>Serving and standby nodes, this one first (clients are counted apart).</summary>
    private static List<PeerAnnouncement> Members(MembershipSnapshot snapshot) =>
        [.. snapshot.Peers.Where(p => p.Announcement.Role != PeerRoles.Client).Select(p => p.Announcement).Prepend(snapshot.Self)];

    /// <summary>The nodes of each ready model, by model name in order.</summary>
    private static List<IGrouping<string, PeerAnnouncement>> Ready(List<PeerAnnouncement> nodes) =>
        [.. nodes.Where(n => n.Serving is not null && n.ModelState == "ready")
            .GroupBy(n => n.Serving!, StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal)];

    private static List<string> Others(IEnumerable<string> names, HashSet<string> served) =>
        [.. names.Where(n => !served.Contains(n)).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).Take(MeshListing.MaxModels)];
}
