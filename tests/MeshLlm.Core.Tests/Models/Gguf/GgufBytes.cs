using System.Text;

namespace MeshLlm.Models.Gguf;

/// <summary>Builds raw GGUF bytes by hand, for malformed and hostile inputs the writer refuses to produce.</summary>
internal sealed class GgufBytes
{
    private readonly MemoryStream _stream = new();
    private readonly BinaryWriter _writer;

    public GgufBytes() => _writer = new BinaryWriter(_stream, Encoding.UTF8, leaveOpen: true);

    public GgufBytes Header(uint version, ulong tensorCount, ulong metadataCount) =>
        Raw("GGUF"u8).U32(version).U64(tensorCount).U64(metadataCount);

    public GgufBytes Raw(ReadOnlySpan<byte> bytes)
    {
        _writer.Write(bytes);
        return this;
    }

    public GgufBytes U8(byte value)
    {
        _writer.Write(value);
        return this;
    }

    public GgufBytes U32(uint value)
    {
        _writer.Write(value);
        return this;
    }

    public GgufBytes U64(ulong value)
    {
        _writer.Write(value);
        return this;
    }

    public GgufBytes Str(string value)
    {
        byte[] bytes = Encoding.UTF8.GetBytes(value);
        return U64((ulong)bytes.Length).Raw(bytes);
    }

    /// <summary>Appends a metadata entry of type uint32.</summary>
    public GgufBytes KeyU32(string key, uint value) => Str(key).U32((uint)GgufValueType.UInt32).U32(value);

    /// <summary>Appends a tensor info.</summary>
    public GgufBytes Tensor(string name, GgmlType type, ulong offset, params ulong[] dimensions)
    {
        Str(name).U32((uint)dimensions.Length);
        foreach (ulong dimension in dimensions)
        {
            U64(dimension);
        }

        return U32((uint)type).U64(offset);
    }

    public GgufBytes Zeros(int count) => Raw(new byte[count]);

    public GgufBytes PadTo(int alignment)
    {
        _writer.Flush();
        return Zeros((int)((alignment - (_stream.Length % alignment)) % alignment));
    }

    public byte[] ToArray()
    {
        _writer.Flush();
        return _stream.ToArray();
    }
}
