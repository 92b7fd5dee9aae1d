using System.Text.Json.Serialization;

namespace MeshLlm.Models;

/// <summary>One model of the catalog: what to download, how big and how good it is, and its speculative-decoding draft.</summary>
/// <remarks>Invariants are checked by <see cref="ModelCatalog.Validate"/>: a draft names an entry of the same family with
/// <see cref="IsDraft"/> set; a main model has either a <see cref="Draft"/> or a <see cref="NoDraftReason"/>.</remarks>
public sealed record CatalogEntry
{
    // The JSON source generator sets an absent init-only property to null, so the default lives in the setter.
    private readonly IReadOnlyList<string> _aliases = [];

    /// <summary>The model's name, which is also what the mesh announces and the API serves (unique, case-insensitive).</summary>
    public required string Name { get; init; }

    /// <summary>The tokenizer family (<c>qwen3</c>, <c>gemma3</c>, <c>llama3</c>...): a draft must share it with its main model.</summary>
    public required string Family { get; init; }

    /// <summary>Total parameters, in billions.</summary>
    public required double ParamsB { get; init; }

    /// <summary>Parameters used per token for a mixture-of-experts model, in billions; null for a dense model (all of them).</summary>
    public double? ActiveParamsB { get; init; }

    /// <summary>The quantization, as llama.cpp names it (<c>Q4_K_M</c>, <c>Q8_0</c>, <c>MXFP4</c>...).</summary>
    public required string Quant { get; init; }

    /// <summary>The files to download, split parts in order.</summary>
    public required IReadOnlyList<CatalogFile> Files { get; init; }

    /// <summary>The sum of the files' sizes, in bytes.</summary>
    [JsonIgnore]
    public long SizeBytes => Files.Sum(f => f.SizeBytes);

    /// <summary>The model's trained context length, in tokens.</summary>
    public required int Context { get; init; }

    /// <summary>What it is good for: <c>chat</c>, <c>code</c>, <c>reasoning</c>, <c>tools</c>, <c>vision</c>.</summary>
    public required IReadOnlyList<string> Caps { get; init; }

    /// <summary>How good it is (docs/MODELS.md, "Quality score").</summary>
    public required CatalogQuality Quality { get; init; }

    /// <summary>A small model kept only to draft for others: never assigned or recommended as a main model.</summary>
    public bool IsDraft { get; init; }

    /// <summary>The name of the catalog entry that drafts for this model, or null.</summary>
    public string? Draft { get; init; }

    /// <summary>Why a main model has no draft (required then, so a missing pairing is a decision, not an oversight).</summary>
    public string? NoDraftReason { get; init; }

    /// <summary>Other names that resolve to this entry exactly (lower-case short names such as <c>qwen3-8b</c>).</summary>
    public IReadOnlyList<string> Aliases
    {
        get => _aliases;
        init => _aliases = value ?? [];
    }

    /// <summary>The fast first-run model: small to download, quick to load; at most one entry has it.</summary>
    public bool Starter { get; init; }

    /// <summary>Bytes read from memory per generated token: the whole file for a dense model, the active share for a MoE.</summary>
    /// <remarks>Decode speed is roughly memory bandwidth ÷ this, which is why <see cref="ModelTiers"/> uses it.</remarks>
    [JsonIgnore]
    public long BytesPerToken => ActiveParamsB is { } active && ParamsB > 0 && active < ParamsB
        ? (long)(SizeBytes * (active / ParamsB))
        : SizeBytes;
}
