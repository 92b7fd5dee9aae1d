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
}

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

    [JsonPropertyName("addrs")]
    public IReadOnlyList<string> Addresses { get; init; } = [];

    /// <summary>This node holds an open connection to the peer.</summary>
    [JsonPropertyName("connected")]
    public bool Connected { get; init; }
}

[JsonSerializable(typeof(StatusDocument))]
[JsonSourceGenerationOptions(WriteIndented = true)]
internal sealed partial class ConsoleJsonContext : JsonSerializerContext;
