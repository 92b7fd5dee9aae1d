namespace MeshLlm.Models.Gguf;

/// <summary>The fixed 24-byte start of a GGUF file: version and the counts that follow it.</summary>
internal readonly record struct GgufHeader(uint Version, ulong TensorCount, ulong MetadataCount);
