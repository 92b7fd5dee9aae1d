using System.Text.Json.Serialization;

namespace MeshLlm.Models;

/// <summary>The catalog file as stored: <c>{ "version": 1, "models": [...] }</c>, snake_case names.</summary>
internal sealed record CatalogDocument
{
    public required int Version { get; init; }

    public required IReadOnlyList<CatalogEntry> Models { get; init; }
}

/// <summary>Unknown fields are errors (a typo such as <c>is_drfat</c> must not silently drop a flag); nulls are
/// allowed only where the record says so.</summary>
[JsonSerializable(typeof(CatalogDocument))]
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
    RespectNullableAnnotations = true,
    ReadCommentHandling = System.Text.Json.JsonCommentHandling.Skip,
    AllowTrailingCommas = true)]
internal sealed partial class CatalogJsonContext : JsonSerializerContext;
