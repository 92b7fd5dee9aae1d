namespace MeshLlm.Discovery;

/// <summary>Nostr publishing and discovery (configuration section <c>Discovery</c>; docs/DISCOVERY.md).</summary>
public sealed class DiscoveryOptions
{
    public const string Section = "Discovery";

    /// <summary>The relays used when none are configured (the original's list).</summary>
    public static readonly IReadOnlyList<string> DefaultRelays = ["wss://relay.damus.io", "wss://nos.lol", "wss://relay.nostr.band"];

    /// <summary><c>--nostr-relay</c>: replaces <see cref="DefaultRelays"/> when given.</summary>
    public List<string> Relays { get; set; } = [];

    /// <summary><c>--publish</c>: list this mesh on the relays.</summary>
    public bool Publish { get; set; }

    /// <summary><c>--auto</c>: find a mesh to join, or start one.</summary>
    public bool Auto { get; set; }

    /// <summary><c>--region</c>: free text such as EU or US-West, published, and preferred when discovering.</summary>
    public string? Region { get; set; }

    /// <summary><c>--max-clients</c>: withdraw the listing while this many clients are connected; 0 = no limit.</summary>
    public int MaxClients { get; set; }

    /// <summary>How often the listing is republished. Default 60 s.</summary>
    public TimeSpan PublishInterval { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>How long a listing lives on the relays (its NIP-40 expiration). Default 120 s, two intervals.</summary>
    public TimeSpan ListingTtl { get; set; } = TimeSpan.FromSeconds(120);

    /// <summary>How long a discovery waits for the relays. Default 5 s.</summary>
    public TimeSpan QueryTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How often an <c>--auto</c> joiner checks that its mesh is still listed. Default 30 s (±30% jitter).</summary>
    public TimeSpan WatchdogInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Longest random wait before a watchdog takes over the listing (so one node of several does). Default 9 s.</summary>
    public TimeSpan WatchdogMaxDelay { get; set; } = TimeSpan.FromSeconds(9);

    /// <summary>What is wrong with these settings, in one line naming the key; null when they are usable.</summary>
    public string? Problem() =>
        Relays.Select(CheckRelay).FirstOrDefault(p => p is not null) is { } relay ? "Discovery:Relays: " + relay
        : MaxClients < 0 ? "Discovery:MaxClients must be 0 (no limit) or more."
        : PublishInterval <= TimeSpan.Zero || ListingTtl <= PublishInterval ? "Discovery:ListingTtl must be longer than Discovery:PublishInterval, which must be positive."
        : QueryTimeout <= TimeSpan.Zero || WatchdogInterval <= TimeSpan.Zero || WatchdogMaxDelay < TimeSpan.Zero
            ? "Discovery: QueryTimeout and WatchdogInterval must be positive, WatchdogMaxDelay 0 or more."
        : null;

    public IReadOnlyList<Uri> RelayUris() => [.. (Relays.Count > 0 ? Relays : DefaultRelays).Select(r => new Uri(r))];

    /// <summary>A relay address is a ws:// or wss:// URL; returns the problem with <paramref name="relay"/>, or null.</summary>
    public static string? CheckRelay(string relay) =>
        Uri.TryCreate(relay, UriKind.Absolute, out var uri) && uri.Scheme is "ws" or "wss" && uri.Host.Length > 0
            ? null
            : $"'{relay}' is not a relay address; give a ws:// or wss:// URL, e.g. wss://relay.damus.io";
}
