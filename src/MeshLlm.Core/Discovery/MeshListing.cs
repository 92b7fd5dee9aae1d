using System.Text.Json;
using System.Text.Json.Serialization;

namespace MeshLlm.Discovery;

/// <summary>
/// What a published mesh says about itself: the content of its Nostr listing (docs/DISCOVERY.md, "Listing").
/// The original's fields, plus when the mesh started, our version, and per-model quality and demand.
/// </summary>
/// <remarks>Version rule: fields are only ever added; readers ignore unknown ones and default missing optional ones.</remarks>
public sealed record MeshListing
{
    /// <summary>Bounds on what a parsed listing may hold, so a hostile one cannot flood a table or the scorer.</summary>
    public const int MaxModels = 64;

    public const int MaxNameLength = 128;

    /// <summary>The publishing node's invite token (required).</summary>
    [JsonPropertyName("invite_token")]
    public required string InviteToken { get; init; }

    /// <summary>Models ready on at least one node (required).</summary>
    [JsonPropertyName("serving")]
    public required IReadOnlyList<string> Serving { get; init; }

    /// <summary>Models asked for with <c>--model</c> that nobody serves yet.</summary>
    [JsonPropertyName("wanted")]
    public IReadOnlyList<string> Wanted { get; init; } = [];

    /// <summary>Models on some node's disk that nobody serves.</summary>
    [JsonPropertyName("on_disk")]
    public IReadOnlyList<string> OnDisk { get; init; } = [];

    [JsonPropertyName("total_vram_bytes")]
    public long TotalVramBytes { get; init; }

    /// <summary>Serving and standby nodes, the publisher included (clients are counted apart).</summary>
    [JsonPropertyName("node_count")]
    public int NodeCount { get; init; }

    /// <summary>Connected <c>--client</c> nodes.</summary>
    [JsonPropertyName("client_count")]
    public int ClientCount { get; init; }

    /// <summary><c>--max-clients</c>; 0 = no limit.</summary>
    [JsonPropertyName("max_clients")]
    public int MaxClients { get; init; }

    [JsonPropertyName("name")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Name { get; init; }

    [JsonPropertyName("region")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Region { get; init; }

    [JsonPropertyName("mesh_id")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? MeshId { get; init; }

    /// <summary>When the mesh's longest-running member started (Unix seconds); 0 when unknown.</summary>
    [JsonPropertyName("started_at")]
    public long StartedAt { get; init; }

    /// <summary>The publisher's mesh-llm version.</summary>
    [JsonPropertyName("version")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Version { get; init; }

    /// <summary>Per served model: node count, catalog quality and requests per minute.</summary>
    [JsonPropertyName("models")]
    public IReadOnlyList<ListedModel> Models { get; init; } = [];

    /// <summary>Requests per minute per model over the last minutes, served or not (what is hot).</summary>
    [JsonPropertyName("demand")]
    public IReadOnlyDictionary<string, double> Demand { get; init; } = new Dictionary<string, double>();

    private static readonly JsonSerializerOptions s_json = new() { NumberHandling = JsonNumberHandling.Strict };

    public string ToJson() => JsonSerializer.Serialize(this, s_json);

    /// <summary>Parses a listing's content; null (with the reason) when it is not a usable listing.</summary>
    public static MeshListing? Parse(string content, out string error)
    {
        MeshListing? listing;
        try
        {
            listing = JsonSerializer.Deserialize<MeshListing>(content, s_json);
        }
        catch (JsonException e)
        {
            error = $"not a listing: {e.Message}";
            return null;
        }

        error = listing switch
        {
            null => "not a listing: null",
            { InviteToken: null or "" } => "no invite_token",
            { Serving: null } => "no serving list",
            _ when listing.NodeCount < 0 || listing.ClientCount < 0 || listing.MaxClients < 0 || listing.TotalVramBytes < 0 || listing.StartedAt < 0 =>
                "a negative count",
            _ when listing.Serving.Count + (listing.Wanted?.Count ?? 0) + (listing.OnDisk?.Count ?? 0) + (listing.Models?.Count ?? 0) > 4 * MaxModels =>
                "too many models",
            _ when AllNames(listing).Any(n => string.IsNullOrWhiteSpace(n) || n.Length > MaxNameLength) => "a blank or over-long model name",
            _ when listing.Demand?.Values.Any(v => !double.IsFinite(v) || v < 0) == true => "a negative or non-finite demand",
            _ => "",
        };
        if (error.Length > 0)
        {
            return null;
        }

        // Missing optional lists read as empty, never null.
        return listing! with
        {
            Wanted = listing!.Wanted ?? [],
            OnDisk = listing.OnDisk ?? [],
            Models = listing.Models ?? [],
            Demand = listing.Demand ?? new Dictionary<string, double>(),
        };
    }

    private static IEnumerable<string?> AllNames(MeshListing listing) =>
        listing.Serving.Concat(listing.Wanted ?? []).Concat(listing.OnDisk ?? []).Concat((listing.Models ?? []).Select(m => m?.Name))
            .Concat((listing.Demand ?? new Dictionary<string, double>()).Keys);
}

/// <summary>One served model in a <see cref="MeshListing"/>.</summary>
/// <param name="Name">The model's name.</param>
/// <param name="Nodes">Nodes serving it.</param>
/// <param name="Quality">Its catalog quality score, or null when it is not in the publisher's catalog.</param>
/// <param name="RequestsPerMinute">Requests per minute over the last minutes.</param>
public sealed record ListedModel(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("nodes")] int Nodes,
    [property: JsonPropertyName("quality")] double? Quality,
    [property: JsonPropertyName("rpm")] double RequestsPerMinute);
