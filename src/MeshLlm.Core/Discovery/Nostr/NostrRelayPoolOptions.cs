namespace MeshLlm.Discovery.Nostr;

/// <summary>Limits of <see cref="NostrRelayPool"/>'s relay connections.</summary>
public sealed record NostrRelayPoolOptions
{
    /// <summary>How long opening a relay's WebSocket may take before the relay counts as down. Default 5 s.</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Largest relay message read; bigger ones are read through and dropped. Default 1 MiB.</summary>
    public int MaxMessageBytes { get; init; } = 1024 * 1024;

    /// <summary>Most events one query takes from one relay; the rest of that relay's answer is ignored. Default 5,000.</summary>
    public int MaxEventsPerRelay { get; init; } = 5000;
}
