using System.Buffers.Binary;

namespace MeshLlm.Models.Gguf;

/// <summary>Writes, reads and decodes GGUF bytes in memory for tests.</summary>
internal static class GgufTestData
{
    private static readonly Lazy<byte[]> s_tiny = new(() => Generate(TestModelOptions.Tiny));

    /// <summary>Gets the bytes of the Tiny preset, generated once per test run.</summary>
    public static byte[] TinyModel => s_tiny.Value;

    public static byte[] Generate(TestModelOptions options)
    {
        using var stream = new MemoryStream();
        TestModelGenerator.Write(stream, options, TestContext.Current.CancellationToken);
        return stream.ToArray();
    }

    public static byte[] Write(GgufWriter writer)
    {
        using var stream = new MemoryStream();
        writer.WriteTo(stream, TestContext.Current.CancellationToken);
        return stream.ToArray();
    }

    public static GgufFile Read(byte[] bytes)
    {
        using var stream = new MemoryStream(bytes, writable: false);
        return GgufReader.Read(stream, "test.gguf", TestContext.Current.CancellationToken);
    }

    /// <summary>Decodes a tensor's data back to floats.</summary>
    public static float[] ReadTensor(byte[] bytes, GgufFile file, string name)
    {
        GgufTensorInfo tensor = file.FindTensor(name) ?? throw new InvalidOperationException($"No tensor {name}.");
        long start = file.DataOffset + tensor.Offset;
        return Decode(tensor.Type, bytes.AsSpan((int)start, (int)tensor.ByteSize!.Value), (int)tensor.ElementCount);
    }

    public static float[] Decode(GgmlType type, ReadOnlySpan<byte> data, int count)
    {
        var values = new float[count];
        for (int i = 0; i < count; i++)
        {
            values[i] = type switch
            {
                GgmlType.F32 => BinaryPrimitives.ReadSingleLittleEndian(data[(i * 4)..]),
                GgmlType.F16 => (float)BinaryPrimitives.ReadHalfLittleEndian(data[(i * 2)..]),
                GgmlType.Q8_0 => DecodeQ8(data, i),
                _ => throw new ArgumentOutOfRangeException(nameof(type)),
            };
        }

        return values;
    }

    private static float DecodeQ8(ReadOnlySpan<byte> data, int index)
    {
        ReadOnlySpan<byte> block = data.Slice(index / 32 * 34, 34);
        float d = (float)BinaryPrimitives.ReadHalfLittleEndian(block);
        return d * (sbyte)block[2 + (index % 32)];
    }
}
