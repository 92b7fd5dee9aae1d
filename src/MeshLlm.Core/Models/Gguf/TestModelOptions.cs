namespace MeshLlm.Models.Gguf;

/// <summary>The shape, weight type and seed of a model written by <see cref="TestModelGenerator"/>.</summary>
/// <remarks>Defaults are the <see cref="Tiny"/> preset. Derive variants with <c>with</c>, for example
/// <c>TestModelOptions.Tiny with { Seed = 7 }</c>.</remarks>
internal sealed record TestModelOptions
{
    /// <summary>The seed used unless another is given ("meshllm" in ASCII).</summary>
    public const ulong DefaultSeed = 0x6D_6573_686C_6C6D;

    /// <summary>Gets the smallest useful model: width 64, 2 layers, 4/2 heads, FFN 192, F32; about 0.56 MB.</summary>
    public static TestModelOptions Tiny { get; } = new();

    /// <summary>Gets a model big enough to measure: width 1024, 12 layers, 16/8 heads, FFN 2816, Q8_0; about 151 MB (284 MB as F16).</summary>
    public static TestModelOptions Bench { get; } = new()
    {
        Name = "mesh-llm-test-bench",
        EmbeddingLength = 1024,
        LayerCount = 12,
        HeadCount = 16,
        HeadCountKv = 8,
        FeedForwardLength = 2816,
        TensorType = GgmlType.Q8_0,
    };

    /// <summary>Gets <c>general.name</c>. Default "mesh-llm-test-tiny".</summary>
    public string Name { get; init; } = "mesh-llm-test-tiny";

    /// <summary>Gets the residual width n_embd. Default 64.</summary>
    public int EmbeddingLength { get; init; } = 64;

    /// <summary>Gets the number of transformer blocks. Default 2.</summary>
    public int LayerCount { get; init; } = 2;

    /// <summary>Gets the number of query heads. Default 4.</summary>
    public int HeadCount { get; init; } = 4;

    /// <summary>Gets the number of key/value heads; must divide <see cref="HeadCount"/>. Default 2.</summary>
    public int HeadCountKv { get; init; } = 2;

    /// <summary>Gets the FFN hidden width n_ff. Default 192.</summary>
    public int FeedForwardLength { get; init; } = 192;

    /// <summary>Gets the training context length written to the metadata, in tokens. Default 2048.</summary>
    public int ContextLength { get; init; } = 2048;

    /// <summary>Gets the type of the 2-D weights (token_embd included); norms are always F32. Default F32.</summary>
    public GgmlType TensorType { get; init; } = GgmlType.F32;

    /// <summary>Gets the seed of the random weights. Default <see cref="DefaultSeed"/>.</summary>
    public ulong Seed { get; init; } = DefaultSeed;

    /// <summary>Gets whether <c>&lt;|im_end|&gt;</c> may be sampled, so that generation can stop by itself. Default false.</summary>
    public bool AllowEos { get; init; }

    /// <summary>Gets n_embd_kv = n_embd / heads × kv heads, the width of the K and V projections.</summary>
    public int KvEmbeddingLength => EmbeddingLength / HeadCount * HeadCountKv;

    /// <summary>Throws <see cref="ArgumentException"/> when the options cannot describe a loadable model.</summary>
    public void Validate()
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(Name);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(EmbeddingLength);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(LayerCount);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(HeadCount);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(HeadCountKv);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(FeedForwardLength);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(ContextLength);
        if (EmbeddingLength % HeadCount != 0 || HeadCount % HeadCountKv != 0 || EmbeddingLength / HeadCount % 2 != 0)
        {
            throw new ArgumentException(
                $"Width {EmbeddingLength} with {HeadCount}/{HeadCountKv} heads: heads must divide the width into an even head size, and KV heads must divide heads.");
        }

        if (TensorType is not (GgmlType.F32 or GgmlType.F16 or GgmlType.Q8_0))
        {
            throw new ArgumentException($"Tensor type {TensorType} is not supported; use F32, F16 or Q8_0.");
        }

        if (TensorType == GgmlType.Q8_0 && (EmbeddingLength % GgmlTensorEncoder.Q8BlockLength != 0 || FeedForwardLength % GgmlTensorEncoder.Q8BlockLength != 0))
        {
            throw new ArgumentException(
                $"Q8_0 needs the width ({EmbeddingLength}) and FFN width ({FeedForwardLength}) to be multiples of {GgmlTensorEncoder.Q8BlockLength}.");
        }
    }
}
