namespace MeshLlm.Models.Gguf;

public sealed class GgufReaderTests : IDisposable
{
    private const ulong Huge = 1UL << 60;

    private readonly string _directory = Directory.CreateTempSubdirectory("gguf-reader-tests-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public void Read_BadMagic_ThrowsNotGguf()
    {
        byte[] bytes = "{\"not\": \"a model\"}\n"u8.ToArray();

        var error = Assert.Throws<InvalidDataException>(() => GgufTestData.Read(bytes));

        Assert.Contains("is not a GGUF file (bad magic)", error.Message, StringComparison.Ordinal);
        Assert.Contains("test.gguf", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0u)]
    [InlineData(1u)]
    [InlineData(4u)]
    [InlineData(0x03000000u)]
    public void Read_UnsupportedVersion_ThrowsNamingVersion(uint version)
    {
        byte[] bytes = new GgufBytes().Header(version, 0, 0).PadTo(32).ToArray();

        var error = Assert.Throws<InvalidDataException>(() => GgufTestData.Read(bytes));

        Assert.Contains($"version {version}", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_Version2_IsAccepted()
    {
        byte[] bytes = new GgufBytes().Header(2, 0, 1).KeyU32("k", 7).PadTo(32).ToArray();

        GgufFile file = GgufTestData.Read(bytes);

        Assert.Equal(2u, file.Version);
        Assert.Equal(7u, file.Metadata["k"]);
    }

    [Fact]
    public void Read_TinyModelCutAnywhere_ThrowsOnlyInvalidDataOrEndOfStream()
    {
        byte[] model = GgufTestData.TinyModel;
        long dataOffset = GgufTestData.Read(model).DataOffset;
        IEnumerable<int> cuts = Enumerable.Range(0, (int)dataOffset + 64)
            .Concat(Enumerable.Range(0, (model.Length - (int)dataOffset) / 997).Select(i => (int)dataOffset + 64 + (i * 997)))
            .Append(model.Length - 1);

        foreach (int cut in cuts)
        {
            Exception? error = Record.Exception(() => GgufTestData.Read(model[..cut]));

            Assert.True(error is InvalidDataException or EndOfStreamException, $"Cut at {cut}: expected InvalidDataException, got {error?.GetType().Name ?? "no exception"}.");
        }
    }

    public static TheoryData<string> HostileInputs => new(s_hostileInputs.Keys);

    private static readonly Dictionary<string, Func<byte[]>> s_hostileInputs = new()
    {
        ["shorter than the magic"] = () => "GG"u8.ToArray(),
        ["header cut after version"] = () => new GgufBytes().Raw("GGUF"u8).U32(3).U32(0).ToArray(),
        ["2^60 tensors"] = () => new GgufBytes().Header(3, Huge, 0).Zeros(4096).ToArray(),
        ["2^60 metadata entries"] = () => new GgufBytes().Header(3, 0, Huge).Zeros(4096).ToArray(),
        ["key of 2^62 bytes"] = () => new GgufBytes().Header(3, 0, 1).U64(1UL << 62).Zeros(64).ToArray(),
        ["string value of 2^62 bytes"] = () => Entry(GgufValueType.String).U64(1UL << 62).Zeros(64).ToArray(),
        ["uint32 array of 2^60"] = () => Entry(GgufValueType.Array).U32((uint)GgufValueType.UInt32).U64(Huge).Zeros(64).ToArray(),
        ["string array of 2^61"] = () => Entry(GgufValueType.Array).U32((uint)GgufValueType.String).U64(1UL << 61).Zeros(64).ToArray(),
        ["nested array of 2^60"] = () => Entry(GgufValueType.Array).U32((uint)GgufValueType.Array).U64(Huge).Zeros(64).ToArray(),
        ["arrays nested too deep"] = NestedArrays,
        ["unknown value type"] = () => Entry((GgufValueType)13).Zeros(64).ToArray(),
        ["unknown array element type"] = () => Entry(GgufValueType.Array).U32(99).U64(0).Zeros(64).ToArray(),
        ["duplicate key"] = () => new GgufBytes().Header(3, 0, 2).KeyU32("k", 1).KeyU32("k", 2).PadTo(32).ToArray(),
        ["alignment not a power of two"] = () => new GgufBytes().Header(3, 0, 1).KeyU32("general.alignment", 24).PadTo(32).ToArray(),
        ["alignment zero"] = () => new GgufBytes().Header(3, 0, 1).KeyU32("general.alignment", 0).PadTo(32).ToArray(),
        ["alignment of wrong type"] = () => new GgufBytes().Header(3, 0, 1).Str("general.alignment").U32((uint)GgufValueType.UInt64).U64(32).PadTo(32).ToArray(),
        ["five dimensions"] = () => Tensors(b => b.Tensor("t", GgmlType.F32, 0, 1, 1, 1, 1, 1)),
        ["dimension above long.MaxValue"] = () => Tensors(b => b.Tensor("t", GgmlType.F32, 0, 1UL << 63)),
        ["element count overflow"] = () => Tensors(b => b.Tensor("t", GgmlType.F32, 0, 1UL << 40, 1UL << 40)),
        ["byte size overflow"] = () => Tensors(b => b.Tensor("t", GgmlType.F32, 0, 1UL << 62)),
        ["misaligned offset"] = () => Tensors(b => b.Tensor("t", GgmlType.F32, 4, 1)),
        ["offset above long.MaxValue"] = () => Tensors(b => b.Tensor("t", GgmlType.F32, 1UL << 63, 1)),
        ["data past the end"] = () => Tensors(b => b.Tensor("t", GgmlType.F32, 0, 1024)),
        ["Q8_0 ne0 not a multiple of 32"] = () => Tensors(b => b.Tensor("t", GgmlType.Q8_0, 0, 48)),
        ["duplicate tensor name"] = () => Tensors(b => b.Tensor("t", GgmlType.F32, 0, 1).Tensor("t", GgmlType.F32, 32, 1), count: 2),
    };

    [Theory]
    [MemberData(nameof(HostileInputs))]
    public void Read_HostileInput_FailsFastWithInvalidData(string name)
    {
        byte[] bytes = s_hostileInputs[name]();
        long before = GC.GetAllocatedBytesForCurrentThread();

        Assert.Throws<InvalidDataException>(() => GgufTestData.Read(bytes));

        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.True(allocated < 1 << 20, $"Reading '{name}' allocated {allocated} bytes.");
    }

    [Fact]
    public void Read_UnknownTensorType_KeepsTypeNumberWithoutSize()
    {
        byte[] bytes = Tensors(b => b.Tensor("q4k", (GgmlType)12, 0, 4096, 2));

        GgufTensorInfo tensor = Assert.Single(GgufTestData.Read(bytes).Tensors);

        Assert.Equal((GgmlType)12, tensor.Type);
        Assert.Null(tensor.ByteSize);
        Assert.Equal(8192, tensor.ElementCount);
    }

    [Fact]
    public void Read_NestedArrays_ReturnsObjectArrays()
    {
        byte[] bytes = Entry(GgufValueType.Array).U32((uint)GgufValueType.Array).U64(2)
            .U32((uint)GgufValueType.Int32).U64(1).U32(5)
            .U32((uint)GgufValueType.String).U64(1).Str("x")
            .PadTo(32).ToArray();

        object value = GgufTestData.Read(bytes).Metadata["k"];

        object[] outer = Assert.IsType<object[]>(value);
        Assert.Equal(new[] { 5 }, outer[0]);
        Assert.Equal(new[] { "x" }, outer[1]);
    }

    [Fact]
    public void Read_BoolArrayEndingTheFile_ReadsOneBytePerBoolAndAnyNonzeroAsTrue()
    {
        byte[] bytes = Entry(GgufValueType.Array).U32((uint)GgufValueType.Bool).U64(3).Raw([0, 2, 1]).ToArray();

        object value = GgufTestData.Read(bytes).Metadata["k"];

        Assert.Equal(new[] { false, true, true }, Assert.IsType<bool[]>(value));
    }

    [Fact]
    public void Read_Path_ReadsTableWithoutData()
    {
        string path = WriteFile("tiny.gguf", GgufTestData.TinyModel);

        GgufFile file = GgufReader.Read(path, TestContext.Current.CancellationToken);

        Assert.Equal("llama", file.Architecture);
        Assert.Equal(GgufTestData.TinyModel.Length, file.FileLength);
    }

    [Fact]
    public void Read_MissingPath_ThrowsFileNotFound() =>
        Assert.Throws<FileNotFoundException>(() => GgufReader.Read(Path.Combine(_directory, "missing.gguf"), TestContext.Current.CancellationToken));

    [Fact]
    public void IsGguf_VariousFiles_ChecksMagicOnly()
    {
        Assert.True(GgufReader.IsGguf(WriteFile("model.gguf", GgufTestData.TinyModel)));
        Assert.True(GgufReader.IsGguf(WriteFile("magic-only.gguf", "GGUF"u8.ToArray())));
        Assert.False(GgufReader.IsGguf(WriteFile("text.gguf", "hello world"u8.ToArray())));
        Assert.False(GgufReader.IsGguf(WriteFile("short.gguf", "GG"u8.ToArray())));
        Assert.False(GgufReader.IsGguf(Path.Combine(_directory, "missing.gguf")));
    }

    [Fact]
    public void TryReadHeader_GgufFile_ReturnsVersionAndCounts()
    {
        GgufFile tiny = GgufTestData.Read(GgufTestData.TinyModel);

        bool found = GgufReader.TryReadHeader(WriteFile("model.gguf", GgufTestData.TinyModel), out GgufHeader header);

        Assert.True(found);
        Assert.Equal(new GgufHeader(3, (ulong)tiny.Tensors.Count, (ulong)tiny.Metadata.Count), header);
    }

    [Fact]
    public void TryReadHeader_MagicButCut_ReturnsFalse() =>
        Assert.False(GgufReader.TryReadHeader(WriteFile("cut.gguf", "GGUF\u0003"u8.ToArray()), out _));

    private string WriteFile(string name, byte[] bytes)
    {
        string path = Path.Combine(_directory, name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    /// <summary>A file with one metadata entry "k" of <paramref name="type"/>, ready for its value.</summary>
    private static GgufBytes Entry(GgufValueType type) => new GgufBytes().Header(3, 0, 1).Str("k").U32((uint)type);

    /// <summary>A file with no metadata and <paramref name="count"/> tensor infos, then padding and 64 bytes of data.</summary>
    private static byte[] Tensors(Func<GgufBytes, GgufBytes> addTensors, ulong count = 1) =>
        addTensors(new GgufBytes().Header(3, count, 0)).PadTo(32).Zeros(64).ToArray();

    private static byte[] NestedArrays()
    {
        GgufBytes builder = Entry(GgufValueType.Array);
        for (int depth = 0; depth < 10; depth++)
        {
            builder.U32((uint)GgufValueType.Array).U64(1);
        }

        return builder.U32((uint)GgufValueType.UInt8).U64(0).PadTo(32).ToArray();
    }
}
