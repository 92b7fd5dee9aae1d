namespace MeshLlm.Discovery;

/// <summary>A verified, unexpired listing found on the relays, with who published it and when.</summary>
/// <param name="Listing">The listing's content.</param>
/// <param name="Publisher">The publisher's Nostr public key (hex).</param>
/// <param name="PublishedAt">The event's <c>created_at</c>.</param>
/// <param name="ExpiresAt">Its NIP-40 expiration, when it has one.</param>
public sealed record DiscoveredMesh(MeshListing Listing, string Publisher, DateTimeOffset PublishedAt, DateTimeOffset? ExpiresAt)
{
    /// <summary>How long the mesh has been up at <paramref name="now"/>, from its <c>started_at</c>; null when unknown.</summary>
    public TimeSpan? Uptime(DateTimeOffset now) =>
        Listing.StartedAt > 0 ? TimeSpan.FromSeconds(Math.Max(0, now.ToUnixTimeSeconds() - Listing.StartedAt)) : null;

    /// <summary><c>fresh</c> (published under 2 min ago), <c>ok</c> (under 5 min) or <c>stale</c>.</summary>
    public string Freshness(DateTimeOffset now) => (now - PublishedAt) switch
    {
        var age when age < TimeSpan.FromMinutes(2) => "fresh",
        var age when age < TimeSpan.FromMinutes(5) => "ok",
        _ => "stale",
    };

    /// <summary>Whether the mesh accepts no more clients (<c>--max-clients</c> reached).</summary>
    public bool IsFull => Listing.MaxClients > 0 && Listing.ClientCount >= Listing.MaxClients;
}
