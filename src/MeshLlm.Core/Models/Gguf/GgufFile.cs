namespace MeshLlm.Models.Gguf;

/// <summary>What <see cref="GgufReader"/> found in a GGUF file: its metadata and tensor table, without tensor data.</summary>
internal sealed class GgufFile
{
    /// <summary>The metadata key that names the architecture, which prefixes the model's own keys.</summary>
    public const string ArchitectureKey = "general.architecture";

    /// <summary>The metadata key of the Jinja chat template.</summary>
    public const string ChatTemplateKey = "tokenizer.chat_template";

    /// <summary>Gets the format version (2 or 3).</summary>
    public required uint Version { get; init; }

    /// <summary>Gets every metadata value by key: a boxed number or bool, a string, a typed array
    /// (<c>int[]</c>, <c>string[]</c>, <c>bool[]</c>...) or an <c>object[]</c> of nested arrays.</summary>
    public required IReadOnlyDictionary<string, object> Metadata { get; init; }

    /// <summary>Gets the tensor table in file order.</summary>
    public required IReadOnlyList<GgufTensorInfo> Tensors { get; init; }

    /// <summary>Gets the alignment of the data section and of each tensor's offset.</summary>
    public required uint Alignment { get; init; }

    /// <summary>Gets the byte offset of the data section from the start of the file; tensor offsets are relative to it.</summary>
    public required long DataOffset { get; init; }

    /// <summary>Gets the length of the file in bytes.</summary>
    public required long FileLength { get; init; }

    /// <summary>Gets <c>general.architecture</c>, for example "llama", or null when absent.</summary>
    public string? Architecture => GetString(ArchitectureKey);

    /// <summary>Gets <c>{architecture}.context_length</c>, the context the model was trained for, or null when absent.</summary>
    public uint? ContextLength => Architecture is { } architecture ? GetUInt32(architecture + ".context_length") : null;

    /// <summary>Gets <c>tokenizer.chat_template</c>, or null when absent.</summary>
    public string? ChatTemplate => GetString(ChatTemplateKey);

    /// <summary>Gets a string value, or null when the key is absent or holds another type.</summary>
    public string? GetString(string key) => Metadata.GetValueOrDefault(key) as string;

    /// <summary>Gets an integer value of any integer type as a uint32, or null when absent, not an integer, or out of range.</summary>
    public uint? GetUInt32(string key) => GetUInt64(key) is ulong value && value <= uint.MaxValue ? (uint)value : null;

    /// <summary>Gets an integer value of any integer type as a uint64, or null when absent, not an integer, or negative.</summary>
    public ulong? GetUInt64(string key) => Metadata.GetValueOrDefault(key) switch
    {
        byte value => value,
        ushort value => value,
        uint value => value,
        ulong value => value,
        sbyte value when value >= 0 => (ulong)value,
        short value when value >= 0 => (ulong)value,
        int value when value >= 0 => (ulong)value,
        long value when value >= 0 => (ulong)value,
        _ => null,
    };

    /// <summary>Finds a tensor by name.</summary>
    public GgufTensorInfo? FindTensor(string name)
    {
        foreach (GgufTensorInfo tensor in Tensors)
        {
            if (tensor.Name == name)
            {
                return tensor;
            }
        }

        return null;
    }
}
