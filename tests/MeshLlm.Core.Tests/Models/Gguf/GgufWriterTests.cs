namespace MeshLlm.Models.Gguf;

public sealed class GgufWriterTests
{
    private static readonly (string Key, object Value)[] s_metadata =
    [
        ("u8", (byte)200),
        ("i8", (sbyte)-100),
        ("u16", (ushort)60000),
        ("i16", (short)-30000),
        ("u32", 4_000_000_000u),
        ("i32", -2_000_000_000),
        ("f32", 3.25f),
        ("bool", true),
        ("string", "héllo ✓"),
        ("empty string", string.Empty),
        ("u64", ulong.MaxValue),
        ("i64", long.MinValue),
        ("f64", Math.PI),
        ("strings", new[] { "a", "Ġthe", string.Empty }),
        ("ints", new[] { 1, -2, 3 }),
        ("uints", new[] { 1u, 2u }),
        ("floats", new[] { 0.5f, -1e-5f }),
        ("bools", new[] { true, false, true }),
        ("bytes", new byte[] { 0, 255 }),
        ("longs", new[] { long.MaxValue }),
        ("doubles", new[] { 1e300 }),
        ("empty ints", Array.Empty<int>()),
    ];

    [Fact]
    public void WriteTo_EveryValueType_ReadsBackWithSameTypeAndValue()
    {
        var writer = new GgufWriter();
        foreach ((string key, object value) in s_metadata)
        {
            Add(writer, key, value);
        }

        GgufFile file = GgufTestData.Read(GgufTestData.Write(writer));

        Assert.Equal(3u, file.Version);
        Assert.Equal(s_metadata.Length, file.Metadata.Count);
        foreach ((string key, object expected) in s_metadata)
        {
            object actual = file.Metadata[key];
            Assert.IsType(expected.GetType(), actual);
            Assert.Equal(expected, actual);
        }
    }

    [Fact]
    public void WriteTo_MixedTensors_TableOffsetsAndLengthAreAligned()
    {
        var writer = new GgufWriter();
        writer.AddString("general.name", "layout");
        writer.AddTensor("odd", [3], GgmlType.F32, Ramp);
        writer.AddTensor("half", [5, 3], GgmlType.F16, Ramp);
        writer.AddTensor("q8", [64, 2, 3], GgmlType.Q8_0, Ramp);
        writer.AddTensor("f32", [4, 4], GgmlType.F32, Ramp);
        byte[] bytes = GgufTestData.Write(writer);

        GgufFile file = GgufTestData.Read(bytes);

        Assert.Equal(["odd", "half", "q8", "f32"], file.Tensors.Select(t => t.Name));
        Assert.Equal([64L, 2, 3], file.Tensors[2].Dimensions);
        Assert.Equal([GgmlType.F32, GgmlType.F16, GgmlType.Q8_0, GgmlType.F32], file.Tensors.Select(t => t.Type));
        Assert.Equal([12L, 30, 408, 64], file.Tensors.Select(t => t.ByteSize!.Value));
        Assert.Equal([0L, 32, 64, 480], file.Tensors.Select(t => t.Offset));
        Assert.Equal(0, file.DataOffset % 32);
        Assert.Equal(file.DataOffset + 544, bytes.Length);
        Assert.Equal(bytes.Length, file.FileLength);
    }

    [Theory]
    [InlineData((int)GgmlType.F32, 0f)]
    [InlineData((int)GgmlType.F16, 0.02f)]
    [InlineData((int)GgmlType.Q8_0, 0.2f)]
    public void WriteTo_TensorData_DecodesToSourceValues(int type, float tolerance)
    {
        var writer = new GgufWriter();
        writer.AddTensor("t", [32, 3], (GgmlType)type, Ramp);
        byte[] bytes = GgufTestData.Write(writer);

        float[] decoded = GgufTestData.ReadTensor(bytes, GgufTestData.Read(bytes), "t");

        float[] expected = new float[96];
        for (int row = 0; row < 3; row++)
        {
            Ramp(row, expected.AsSpan(row * 32, 32));
        }

        // Values reach 32.5: F16 is within half an ulp (1/64); Q8_0 within half a step (32.5/254) plus the f16 scale's error.
        Assert.Equal(expected, decoded, (a, b) => Math.Abs(a - b) <= tolerance);
    }

    [Fact]
    public void WriteTo_RowSource_GetsRowsInOrderWithZeroedBuffers()
    {
        var rows = new List<long>();
        var writer = new GgufWriter();
        writer.AddTensor("t", [4, 2, 3], GgmlType.F32, (row, values) =>
        {
            Assert.All(values.ToArray(), v => Assert.Equal(0f, v));
            Assert.Equal(4, values.Length);
            rows.Add(row);
            values.Fill(9f);
        });

        GgufTestData.Write(writer);

        Assert.Equal([0L, 1, 2, 3, 4, 5], rows);
    }

    [Fact]
    public void WriteTo_Parallel_WritesSameBytesAsSequential()
    {
        static GgufWriter Create(int parallelism)
        {
            var writer = new GgufWriter { MaxDegreeOfParallelism = parallelism };
            writer.AddTensor("q8", [64, 20_000], GgmlType.Q8_0, Ramp);
            writer.AddTensor("f16", [3, 70_000], GgmlType.F16, Ramp);
            return writer;
        }

        byte[] sequential = GgufTestData.Write(Create(1));
        byte[] parallel = GgufTestData.Write(Create(4));

        Assert.Equal(sequential, parallel);
    }

    [Fact]
    public void WriteTo_CanceledToken_ThrowsOperationCanceled()
    {
        var writer = new GgufWriter { MaxDegreeOfParallelism = 2 };
        writer.AddTensor("t", [32, 4], GgmlType.F32, Ramp);

        Assert.ThrowsAny<OperationCanceledException>(() => writer.WriteTo(Stream.Null, new CancellationToken(canceled: true)));
    }

    [Fact]
    public void WriteTo_AlignmentKey_AlignsDataAndTensorsToIt()
    {
        var writer = new GgufWriter();
        writer.AddUInt32(GgufWriter.AlignmentKey, 64);
        writer.AddTensor("a", [3], GgmlType.F32, Ramp);
        writer.AddTensor("b", [3], GgmlType.F32, Ramp);
        byte[] bytes = GgufTestData.Write(writer);

        GgufFile file = GgufTestData.Read(bytes);

        Assert.Equal(64u, file.Alignment);
        Assert.Equal(0, file.DataOffset % 64);
        Assert.Equal([0L, 64], file.Tensors.Select(t => t.Offset));
        Assert.Equal(file.DataOffset + 128, bytes.Length);
    }

    [Fact]
    public void WriteTo_Empty_WritesPaddedHeaderOnly()
    {
        byte[] bytes = GgufTestData.Write(new GgufWriter());

        GgufFile file = GgufTestData.Read(bytes);

        Assert.Equal(32, bytes.Length);
        Assert.Equal("GGUF"u8.ToArray(), bytes[..4]);
        Assert.Empty(file.Metadata);
        Assert.Empty(file.Tensors);
        Assert.Equal(32, file.DataOffset);
    }

    public static TheoryData<string> InvalidCalls => new(s_invalidCalls.Keys);

    private static readonly Dictionary<string, Action<GgufWriter>> s_invalidCalls = new()
    {
        ["duplicate key"] = w => { w.AddUInt8("k", 1); w.AddString("k", "x"); },
        ["alignment not a power of two"] = w => w.AddUInt32(GgufWriter.AlignmentKey, 24),
        ["alignment zero"] = w => w.AddUInt32(GgufWriter.AlignmentKey, 0),
        ["array of chars"] = w => w.AddArray<char>("k", ['a']),
        ["null string in array"] = w => w.AddArray("k", new string[] { "a", null! }),
        ["Q8_0 ne0 not a multiple of 32"] = w => w.AddTensor("t", [48, 2], GgmlType.Q8_0, Ramp),
        ["no dimensions"] = w => w.AddTensor("t", [], GgmlType.F32, Ramp),
        ["five dimensions"] = w => w.AddTensor("t", [1, 1, 1, 1, 1], GgmlType.F32, Ramp),
        ["zero dimension"] = w => w.AddTensor("t", [4, 0], GgmlType.F32, Ramp),
        ["unwritable type"] = w => w.AddTensor("t", [256], (GgmlType)12, Ramp),
        ["duplicate tensor"] = w => { w.AddTensor("t", [1], GgmlType.F32, Ramp); w.AddTensor("t", [1], GgmlType.F32, Ramp); },
    };

    [Theory]
    [MemberData(nameof(InvalidCalls))]
    public void Add_InvalidCall_ThrowsArgumentException(string name) =>
        Assert.ThrowsAny<ArgumentException>(() => s_invalidCalls[name](new GgufWriter()));

    private static void Ramp(long row, Span<float> values)
    {
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = (row * 10) + (i * 0.5f) - 3f;
        }
    }

    private static void Add(GgufWriter writer, string key, object value)
    {
        switch (value)
        {
            case byte v: writer.AddUInt8(key, v); break;
            case sbyte v: writer.AddInt8(key, v); break;
            case ushort v: writer.AddUInt16(key, v); break;
            case short v: writer.AddInt16(key, v); break;
            case uint v: writer.AddUInt32(key, v); break;
            case int v: writer.AddInt32(key, v); break;
            case float v: writer.AddFloat32(key, v); break;
            case bool v: writer.AddBool(key, v); break;
            case string v: writer.AddString(key, v); break;
            case ulong v: writer.AddUInt64(key, v); break;
            case long v: writer.AddInt64(key, v); break;
            case double v: writer.AddFloat64(key, v); break;
            case Array v: AddArray(writer, key, v); break;
            default: throw new ArgumentOutOfRangeException(nameof(value), value.GetType().Name);
        }
    }

    private static void AddArray(GgufWriter writer, string key, Array values)
    {
        // Matched on the exact type: the runtime lets a uint[] pass as an int[] (and byte[] as sbyte[]).
        Type type = values.GetType();
        if (type == typeof(string[])) writer.AddArray(key, (string[])values);
        else if (type == typeof(int[])) writer.AddArray(key, (int[])values);
        else if (type == typeof(uint[])) writer.AddArray(key, (uint[])values);
        else if (type == typeof(float[])) writer.AddArray(key, (float[])values);
        else if (type == typeof(bool[])) writer.AddArray(key, (bool[])values);
        else if (type == typeof(byte[])) writer.AddArray(key, (byte[])values);
        else if (type == typeof(long[])) writer.AddArray(key, (long[])values);
        else if (type == typeof(double[])) writer.AddArray(key, (double[])values);
        else throw new ArgumentOutOfRangeException(nameof(values), type.Name);
    }
}
