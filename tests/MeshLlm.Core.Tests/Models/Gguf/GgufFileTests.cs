namespace MeshLlm.Models.Gguf;

public sealed class GgufFileTests
{
    public static TheoryData<string, ulong?, uint?> IntegerCases => new()
    {
        { "u8", 7, 7 },
        { "i8", 7, 7 },
        { "u16", 7, 7 },
        { "i16", 7, 7 },
        { "u32", 7, 7 },
        { "i32", 7, 7 },
        { "u64", 7, 7 },
        { "i64", 7, 7 },
        { "negative", null, null },
        { "big", 1UL << 40, null },
        { "text", null, null },
        { "float", null, null },
        { "missing", null, null },
    };

    [Theory]
    [MemberData(nameof(IntegerCases))]
    public void GetUInt_AnyIntegerType_ConvertsWhenInRange(string key, ulong? expected64, uint? expected32)
    {
        GgufFile file = Create(new()
        {
            ["u8"] = (byte)7,
            ["i8"] = (sbyte)7,
            ["u16"] = (ushort)7,
            ["i16"] = (short)7,
            ["u32"] = 7u,
            ["i32"] = 7,
            ["u64"] = 7UL,
            ["i64"] = 7L,
            ["negative"] = -7,
            ["big"] = 1UL << 40,
            ["text"] = "7",
            ["float"] = 7f,
        });

        Assert.Equal(expected64, file.GetUInt64(key));
        Assert.Equal(expected32, file.GetUInt32(key));
    }

    [Fact]
    public void Accessors_LlamaMetadata_ReadArchitectureContextAndTemplate()
    {
        GgufFile file = Create(new()
        {
            ["general.architecture"] = "qwen2",
            ["qwen2.context_length"] = 32768u,
            ["tokenizer.chat_template"] = "{{ x }}",
        });

        Assert.Equal("qwen2", file.Architecture);
        Assert.Equal(32768u, file.ContextLength);
        Assert.Equal("{{ x }}", file.ChatTemplate);
    }

    [Fact]
    public void Accessors_NoOrWrongTypedMetadata_ReturnNull()
    {
        GgufFile file = Create(new() { ["general.architecture"] = 5u });

        Assert.Null(file.Architecture);
        Assert.Null(file.ContextLength);
        Assert.Null(file.ChatTemplate);
        Assert.Null(file.GetString("general.architecture"));
        Assert.Null(file.FindTensor("token_embd.weight"));
    }

    private static GgufFile Create(Dictionary<string, object> metadata) => new()
    {
        Version = 3,
        Metadata = metadata,
        Tensors = [],
        Alignment = 32,
        DataOffset = 32,
        FileLength = 32,
    };
}
