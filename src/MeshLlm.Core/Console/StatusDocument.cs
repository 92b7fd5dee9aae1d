using System.Text.Json.Serialization;

namespace MeshLlm.Console;

/// <summary>
/// What <c>GET /api/status</c> on the console port answers: this node, its mesh and its peer table.
/// </summary>
/// <remarks>Schema rule: fields are only ever added (the console issue extends it); readers ignore unknown ones.</remarks>
public sealed record StatusDocument
{
    /// <summary>This node's id (64 hex characters).</summary>
    [JsonPropertyName("node_id")]
    public required string NodeId { get; init; }

    [JsonPropertyName("short_id")]
    public required string ShortId { get; init; }

    [JsonPropertyName("mesh_id")]
    public string? MeshId { get; init; }

    /// <summary>The invite token to join through this node; null for a passive client.</summary>
    [JsonPropertyName("token")]
    public string? Token { get; init; }

    /// <summary><c>host</c>, <c>worker</c>, <c>standby</c> or <c>client</c>.</summary>
    [JsonPropertyName("role")]
    public required string Role { get; init; }

    [JsonPropertyName("version")]
    public string? Version { get; init; }

    /// <summary>This node is a passive client (<c>--client</c>).</summary>
    [JsonPropertyName("client")]
    public bool Client { get; init; }

    /// <summary>Port of the OpenAI-compatible API on 127.0.0.1.</summary>
    [JsonPropertyName("api_port")]
    public int ApiPort { get; init; }

    /// <summary>The models this node serves or loads.</summary>
    [JsonPropertyName("serving")]
    public IReadOnlyList<StatusModel> Serving { get; init; } = [];

    [JsonPropertyName("peers")]
    public IReadOnlyList<StatusPeer> Peers { get; init; } = [];

    /// <summary>Passive clients connected to this node.</summary>
    [JsonPropertyName("clients")]
    public int Clients { get; init; }

    /// <summary>The mesh's demand per model: requests routed by all live nodes, last activity, and this node's per-minute estimate.</summary>
    [JsonPropertyName("demand")]
    public IReadOnlyDictionary<string, StatusDemand> Demand { get; init; } = new Dictionary<string, StatusDemand>();

    /// <summary>How this node's model runs: alone or split, with the partners and the reason; null before the first plan.</summary>
    [JsonPropertyName("split")]
    public StatusSplit? Split { get; init; }

    /// <summary>Whether and how this node lists its mesh on Nostr; null for a node that never publishes (passive clients).</summary>
    [JsonPropertyName("nostr")]
    public StatusNostr? Nostr { get; init; }
}

/// <summary>This node's Nostr listing, in a <see cref="StatusDocument"/>.</summary>
/// <param name="Publishing">Publishing is on (<c>--publish</c>, an <c>--auto</c> mesh, or a watchdog takeover).</param>
/// <param name="Listed">A listing of this node is on the relays now (not withdrawn or deleted).</param>
/// <param name="Npub">The publishing key (NIP-19), once publishing started.</param>
/// <param name="Relays">The relays it publishes to.</param>
/// <param name="Reason">Why publishing is on, or why the listing is withdrawn.</param>
public sealed record StatusNostr(
    [property: JsonPropertyName("publishing")] bool Publishing,
    [property: JsonPropertyName("listed")] bool Listed,
    [property: JsonPropertyName("npub")] string? Npub,
    [property: JsonPropertyName("relays")] IReadOnlyList<string> Relays,
    [property: JsonPropertyName("reason")] string? Reason);

/// <summary>This node's plan for its model, in a <see cref="StatusDocument"/>.</summary>
public sealed record StatusSplit
{
    /// <summary><c>solo</c>, <c>host</c>, <c>partner</c>, <c>waiting</c> or <c>unable</c>.</summary>
    [JsonPropertyName("role")]
    public required string Role { get; init; }

    /// <summary>Short id of the split's host.</summary>
    [JsonPropertyName("host")]
    public string? Host { get; init; }

    /// <summary>On a host: the partners in <c>--rpc</c> order.</summary>
    [JsonPropertyName("partners")]
    public IReadOnlyList<StatusSplitPartner> Partners { get; init; } = [];

    /// <summary>On a host: its own share of the layers.</summary>
    [JsonPropertyName("host_share")]
    public double HostShare { get; init; }

    /// <summary>On a host: llama-server's <c>--tensor-split</c>.</summary>
    [JsonPropertyName("tensor_split")]
    public string? TensorSplit { get; init; }

    /// <summary>While waiting: the memory still missing, in bytes.</summary>
    [JsonPropertyName("shortfall_bytes")]
    public long ShortfallBytes { get; init; }

    [JsonPropertyName("reason")]
    public required string Reason { get; init; }
}

/// <summary>One partner of this node's split.</summary>
public sealed record StatusSplitPartner(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("short_id")] string ShortId,
    [property: JsonPropertyName("vram_bytes")] long VramBytes,
    [property: JsonPropertyName("rtt_ms")] double? RttMs,
    [property: JsonPropertyName("share")] double Share);

/// <summary>Demand for one model, in a <see cref="StatusDocument"/>.</summary>
public sealed record StatusDemand(
    [property: JsonPropertyName("requests")] long Requests,
    [property: JsonPropertyName("last_active_ms")] long LastActiveMs,
    [property: JsonPropertyName("per_minute")] double PerMinute);

/// <summary>A model served by this node, in a <see cref="StatusDocument"/>.</summary>
public sealed record StatusModel(
    [property: JsonPropertyName("model")] string Model,
    [property: JsonPropertyName("state")] string State,
    [property: JsonPropertyName("backend")] string Backend);

/// <summary>One peer, in a <see cref="StatusDocument"/>.</summary>
public sealed record StatusPeer
{
    [JsonPropertyName("id")]
    public required string Id { get; init; }

    [JsonPropertyName("short_id")]
    public required string ShortId { get; init; }

    [JsonPropertyName("role")]
    public string? Role { get; init; }

    /// <summary><c>alive</c> or <c>suspected</c>.</summary>
    [JsonPropertyName("state")]
    public required string State { get; init; }

    /// <summary>Round trip of the last ping in milliseconds; null before the first.</summary>
    [JsonPropertyName("rtt_ms")]
    public double? RttMs { get; init; }

    [JsonPropertyName("serving")]
    public string? Serving { get; init; }

    /// <summary><c>loading</c>, <c>ready</c> or <c>failed</c> for <see cref="Serving"/>.</summary>
    [JsonPropertyName("model_state")]
    public string? ModelState { get; init; }

    [JsonPropertyName("backend")]
    public string? Backend { get; init; }

    [JsonPropertyName("vram_bytes")]
    public long VramBytes { get; init; }

    /// <summary>Its part in a split of its model: <c>host</c>, <c>partner</c>, <c>waiting</c>, or null.</summary>
    [JsonPropertyName("split")]
    public string? Split { get; init; }

    [JsonPropertyName("addrs")]
    public IReadOnlyList<string> Addresses { get; init; } = [];

    /// <summary>This node holds an open connection to the peer.</summary>
    [JsonPropertyName("connected")]
    public bool Connected { get; init; }
}

[JsonSerializable(typeof(StatusDocument))]
[JsonSourceGenerationOptions(WriteIndented = true)]
internal sealed partial class ConsoleJsonContext : JsonSerializerContext;
