namespace MeshLlm.Models.Gguf;

/// <summary>A ggml tensor element type as numbered in GGUF tensor tables; <see cref="GgmlTensorEncoder"/> can write F32, F16 and Q8_0.</summary>
/// <remarks>Other values read from real models are kept as unnamed numbers (for example 12 is Q4_K).</remarks>
internal enum GgmlType
{
    /// <summary>32-bit IEEE float.</summary>
    F32 = 0,

    /// <summary>16-bit IEEE half float.</summary>
    F16 = 1,

    /// <summary>Blocks of 32 weights: an f16 scale then 32 signed bytes (34 bytes a block).</summary>
    Q8_0 = 8,
}
