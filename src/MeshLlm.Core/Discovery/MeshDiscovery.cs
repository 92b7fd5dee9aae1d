using MeshLlm.Discovery.Nostr;
using MeshLlm.Identity;
using Microsoft.Extensions.Logging;

namespace MeshLlm.Discovery;

/// <summary>A listing that was found but not kept, with why (shown by <c>discover --json</c> and logged at debug).</summary>
public sealed record RejectedListing(string Publisher, string Reason);

/// <summary>The usable listings found, newest per publisher, and the ones dropped.</summary>
public sealed record DiscoveryResult(IReadOnlyList<DiscoveredMesh> Meshes, IReadOnlyList<RejectedListing> Rejected);

/// <summary>
/// Finds published meshes: queries the relays for kind-31990 events tagged <c>k</c> = <c>mesh-llm</c> (every event's
/// id and signature are verified by the relay pool), keeps the newest per publisher, and drops expired listings,
/// content that is not a listing, and invite tokens that do not parse.
/// </summary>
public sealed partial class MeshDiscovery(NostrRelayPool relays, TimeProvider time, ILogger<MeshDiscovery> logger)
{
    /// <summary>NIP-89 application handler: parameterized replaceable, one listing per publisher.</summary>
    public const int ListingKind = 31990;

    /// <summary>The <c>d</c> and <c>k</c> tag of every listing.</summary>
    public const string Tag = "mesh-llm";

    private const long MaxUnixSeconds = 253_402_300_799; // 9999-12-31

    public static NostrFilter Filter => new() { Kinds = [ListingKind], Tags = new Dictionary<string, IReadOnlyList<string>> { ["k"] = [Tag] }, Limit = 200 };

    public async Task<DiscoveryResult> DiscoverAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        var events = await relays.QueryAsync(Filter, timeout, cancellationToken);
        var result = Select(events, time.GetUtcNow());
        foreach (var rejected in result.Rejected)
        {
            LogRejected(rejected.Publisher, rejected.Reason);
        }

        LogFound(result.Meshes.Count, events.Count);
        return result;
    }

    /// <summary>The selection rules, on events already verified. Pure.</summary>
    public static DiscoveryResult Select(IEnumerable<NostrEvent> events, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(events);
        var meshes = new List<DiscoveredMesh>();
        var rejected = new List<RejectedListing>();
        var newest = events
            .Where(e => e.Kind == ListingKind && e.FirstTag("k") == Tag)
            .GroupBy(e => e.PubKey, StringComparer.Ordinal)
            .Select(g => g.OrderByDescending(e => e.CreatedAt).ThenBy(e => e.Id, StringComparer.Ordinal).First());
        foreach (var e in newest)
        {
            var publisher = e.PubKey;
            if (e.CreatedAt is < 0 or > MaxUnixSeconds)
            {
                rejected.Add(new(publisher, $"created_at {e.CreatedAt} is not a time"));
            }
            else if (e.Expiration is { } expires && expires <= now)
            {
                rejected.Add(new(publisher, $"expired at {expires:u}"));
            }
            else if (MeshListing.Parse(e.Content, out var error) is not { } listing)
            {
                rejected.Add(new(publisher, error));
            }
            else if (!InviteToken.TryParse(listing.InviteToken, out _, out var tokenError))
            {
                rejected.Add(new(publisher, $"invalid invite token: {tokenError}"));
            }
            else
            {
                meshes.Add(new DiscoveredMesh(listing, publisher, DateTimeOffset.FromUnixTimeSeconds(e.CreatedAt), e.Expiration));
            }
        }

        return new DiscoveryResult(meshes, rejected);
    }

    [LoggerMessage(EventId = 7100, Level = LogLevel.Debug, Message = "Listing from {Publisher} dropped: {Reason}")]
    private partial void LogRejected(string publisher, string reason);

    [LoggerMessage(EventId = 7101, Level = LogLevel.Debug, Message = "Discovery: {Meshes} usable listing(s) among {Events} event(s)")]
    private partial void LogFound(int meshes, int events);
}
