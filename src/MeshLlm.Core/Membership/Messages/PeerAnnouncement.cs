using System.Text.Json.Serialization;

namespace MeshLlm.Membership.Messages;

/// <summary>
/// What a node says about itself; gossip carries everyone's, and an entry replaces the one held only when its
/// <see cref="Seq"/> is larger (or it arrives straight from the node it describes).
/// </summary>
/// <remarks>Version rule: fields are only ever added; readers ignore unknown ones and default missing ones.</remarks>
public sealed record PeerAnnouncement
{
    [JsonPropertyName("id")]
    public required string Id { get; init; }

    /// <summary>Grows on every change; starts at the node's start time in microseconds so a restart outranks the old run.</summary>
    [JsonPropertyName("seq")]
    public long Seq { get; init; }

    [JsonPropertyName("addrs")]
    public IReadOnlyList<string> Addresses { get; init; } = [];

    /// <summary><c>worker</c>, <c>host</c>, <c>standby</c> or <c>client</c>.</summary>
    [JsonPropertyName("role")]
    public string Role { get; init; } = PeerRoles.Standby;

    /// <summary>The model this node serves or is loading; null when none.</summary>
    [JsonPropertyName("serving")]
    public string? Serving { get; init; }

    /// <summary><c>loading</c>, <c>ready</c> or <c>failed</c> for <see cref="Serving"/>.</summary>
    [JsonPropertyName("state")]
    public string? ModelState { get; init; }

    /// <summary><c>embedded</c> or <c>llamacpp</c>.</summary>
    [JsonPropertyName("backend")]
    public string? Backend { get; init; }

    /// <summary>Can lend an rpc-server to a split.</summary>
    [JsonPropertyName("rpc")]
    public bool RpcCapable { get; init; }

    [JsonPropertyName("vram_bytes")]
    public long VramBytes { get; init; }

    [JsonPropertyName("on_disk")]
    public IReadOnlyList<string> ModelsOnDisk { get; init; } = [];

    [JsonPropertyName("wanted")]
    public IReadOnlyList<string> Wanted { get; init; } = [];

    [JsonPropertyName("mesh")]
    public string? Mesh { get; init; }

    [JsonPropertyName("version")]
    public string? Version { get; init; }

    /// <summary>Requests this node has routed per model since it started (its own counter; the mesh's demand is the sum).</summary>
    [JsonPropertyName("demand")]
    public IReadOnlyDictionary<string, ModelDemand> Demand { get; init; } = new Dictionary<string, ModelDemand>();

    /// <summary>Unix milliseconds when the node started.</summary>
    [JsonPropertyName("started_ms")]
    public long StartedMs { get; init; }

    /// <summary>This node's part in a split of its model (host, partner or waiting); null when it serves alone or nothing.</summary>
    [JsonPropertyName("split")]
    public SplitAnnouncement? Split { get; init; }

    /// <summary>Equal content, lists and the demand map compared by value (not by reference).</summary>
    public bool Equals(PeerAnnouncement? other) =>
        other is not null
        && Id == other.Id && Seq == other.Seq && Role == other.Role && Serving == other.Serving && ModelState == other.ModelState
        && Backend == other.Backend && RpcCapable == other.RpcCapable && VramBytes == other.VramBytes && Mesh == other.Mesh
        && Version == other.Version && StartedMs == other.StartedMs && Equals(Split, other.Split)
        && Addresses.SequenceEqual(other.Addresses) && ModelsOnDisk.SequenceEqual(other.ModelsOnDisk) && Wanted.SequenceEqual(other.Wanted)
        && Demand.Count == other.Demand.Count && Demand.All(d => other.Demand.TryGetValue(d.Key, out var o) && o == d.Value);

    public override int GetHashCode() => HashCode.Combine(Id, Seq, Serving, ModelState, Role);
}

/// <summary>A node's part in a split (docs/SPLITTING.md): the plan it runs or waits for, with the reason.</summary>
public sealed record SplitAnnouncement
{
    /// <summary><c>host</c>, <c>partner</c> or <c>waiting</c> (a host that lacks memory).</summary>
    [JsonPropertyName("role")]
    public required string Role { get; init; }

    /// <summary>Node id of the split's host (this node's own for a host or a waiting node).</summary>
    [JsonPropertyName("host")]
    public string? Host { get; init; }

    /// <summary>On a host: its partners in <c>--rpc</c> order, with their share of the layers.</summary>
    [JsonPropertyName("partners")]
    public IReadOnlyList<SplitPartnerAnnouncement> Partners { get; init; } = [];

    /// <summary>On a host: its own share of the layers.</summary>
    [JsonPropertyName("host_share")]
    public double HostShare { get; init; }

    /// <summary>On a waiting node: the memory still missing, in bytes.</summary>
    [JsonPropertyName("shortfall_bytes")]
    public long ShortfallBytes { get; init; }

    [JsonPropertyName("reason")]
    public string Reason { get; init; } = "";

    public bool Equals(SplitAnnouncement? other) =>
        other is not null && Role == other.Role && Host == other.Host && HostShare.Equals(other.HostShare)
        && ShortfallBytes == other.ShortfallBytes && Reason == other.Reason && Partners.SequenceEqual(other.Partners);

    public override int GetHashCode() => HashCode.Combine(Role, Host, ShortfallBytes);
}

/// <summary>One partner of a split: its id, share of the layers and ping round trip from the host.</summary>
public sealed record SplitPartnerAnnouncement(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("share")] double Share,
    [property: JsonPropertyName("rtt_ms")] double? RttMs);

/// <summary>One node's request count for a model and when it last routed one (Unix ms).</summary>
public sealed record ModelDemand(
    [property: JsonPropertyName("count")] long Count,
    [property: JsonPropertyName("last_ms")] long LastActiveMs);

/// <summary>Names of a node's part in a split (<see cref="SplitAnnouncement.Role"/>).</summary>
public static class SplitRoles
{
    public const string Host = "host";
    public const string Partner = "partner";
    public const string Waiting = "waiting";
}

/// <summary>Role names used in announcements.</summary>
public static class PeerRoles
{
    public const string Host = "host";
    public const string Worker = "worker";
    public const string Standby = "standby";
    public const string Client = "client";
}
