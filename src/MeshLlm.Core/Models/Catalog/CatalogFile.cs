namespace MeshLlm.Models;

/// <summary>One GGUF file of a catalog model, as published on the Hugging Face hub.</summary>
/// <remarks>A split model lists its parts in order (<c>-00001-of-0000N.gguf</c> first); llama.cpp is pointed at part 1.</remarks>
public sealed record CatalogFile
{
    /// <summary>The hub repository, <c>org/name</c>.</summary>
    public required string Repo { get; init; }

    /// <summary>The file's path inside the repository (may contain folders).</summary>
    public required string Path { get; init; }

    /// <summary>The file's size in bytes (approximate where the catalog says so; the download checks the server's).</summary>
    public required long SizeBytes { get; init; }

    /// <summary>The file's SHA-256 in lower-case hex, or null where it has not been checked.</summary>
    public string? Sha256 { get; init; }
}
