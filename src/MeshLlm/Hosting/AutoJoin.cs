using MeshLlm.Console;
using MeshLlm.Discovery;
using MeshLlm.Discovery.Nostr;
using MeshLlm.Identity;
using MeshLlm.Models;
using Microsoft.Extensions.Logging;

namespace MeshLlm.Hosting;

/// <summary>
/// The first step of <c>--auto</c>, before the node starts: discover meshes on Nostr, rank them (docs/DISCOVERY.md),
/// say why each was skipped, and hand back the invite tokens to try, best first.
/// </summary>
internal static class AutoJoin
{
    /// <summary>Candidates tried before starting a new mesh.</summary>
    public const int MaxCandidates = 5;

    /// <summary>Discovers and ranks: the meshes to try in order, with their tokens (empty: start a new mesh).</summary>
    public static async Task<IReadOnlyList<(InviteToken Token, DiscoveredMesh Mesh)>> FindAsync(
        DiscoveryOptions options, string? meshName, string home, ILoggerFactory loggers, IConsoleUi ui, CancellationToken cancellationToken)
    {
        var relays = options.RelayUris();
        ui.Info($"Looking for meshes on {string.Join(", ", relays.Select(r => r.Host))}{(meshName is null ? "" : $" named {meshName}")}...");
        var ranked = await RankAsync(options, meshName, home, loggers, cancellationToken);
        if (ranked.Meshes.Count == 0)
        {
            ui.Info("No mesh found" + (ranked.Skipped.Count > 0 ? $" that this node may join ({ranked.Skipped.Count} skipped)." : "."));
        }

        foreach (var (mesh, reason) in ranked.Skipped)
        {
            ui.Info($"  skipped {Describe(mesh)}: {reason}");
        }

        var tokens = new List<(InviteToken, DiscoveredMesh)>();
        foreach (var (mesh, score) in ranked.Meshes.Take(MaxCandidates))
        {
            ui.Info($"  candidate {Describe(mesh)}: score {score.Total:0} ({string.Join(", ", score.Terms.Select(t => $"{t.Name} {t.Points:+0;-0}"))})");
            if (InviteToken.TryParse(mesh.Listing.InviteToken, out var token, out _))
            {
                tokens.Add((token, mesh));
            }
        }

        return tokens;
    }

    /// <summary>The ranked meshes and the skipped ones with why; used by <c>--auto</c> and <c>discover</c>.</summary>
    public static async Task<RankedMeshes> RankAsync(
        DiscoveryOptions options, string? meshName, string home, ILoggerFactory loggers, CancellationToken cancellationToken)
    {
        await using var pool = new NostrRelayPool(options.RelayUris(), TimeProvider.System, loggers.CreateLogger<NostrRelayPool>());
        var discovery = new MeshDiscovery(pool, TimeProvider.System, loggers.CreateLogger<MeshDiscovery>());
        var found = await discovery.DiscoverAsync(options.QueryTimeout, cancellationToken);
        var context = new ScoringContext(TimeProvider.System.GetUtcNow(), MeshFiles.ReadLastMesh(home)?.Value, meshName, options.Region, ModelAcquisition.LoadCatalog());
        var ranked = MeshScorer.Rank(found.Meshes, context);
        var skipped = found.Meshes.Select(m => (Mesh: m, Score: MeshScorer.Score(m, context)))
            .Where(s => !s.Score.IsEligible).Select(s => (s.Mesh, s.Score.Ineligible!)).ToList();
        return new RankedMeshes(ranked, skipped, found.Rejected, context);
    }

    public static string Describe(DiscoveredMesh mesh) =>
        $"{mesh.Listing.Name ?? "(unnamed)"} [{(mesh.Listing.MeshId is { Length: > 8 } id ? id[..8] : mesh.Listing.MeshId ?? "?")}] " +
        $"{mesh.Listing.NodeCount} node(s), serving {(mesh.Listing.Serving.Count == 0 ? "nothing yet" : string.Join(", ", mesh.Listing.Serving))}";
}

/// <summary>Discovered meshes: eligible ones ranked best first, the skipped ones with why, and the listings dropped.</summary>
internal sealed record RankedMeshes(
    IReadOnlyList<(DiscoveredMesh Mesh, MeshScore Score)> Meshes,
    IReadOnlyList<(DiscoveredMesh Mesh, string Reason)> Skipped,
    IReadOnlyList<RejectedListing> Rejected,
    ScoringContext Context);
