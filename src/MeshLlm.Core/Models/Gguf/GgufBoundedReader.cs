using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;

namespace MeshLlm.Models.Gguf;

/// <summary>Reads little-endian GGUF values from a seekable stream, checking every length and count against the bytes left.</summary>
/// <remarks>
/// Hostile input must fail fast: before anything is allocated, the count it claims is multiplied by the least number
/// of bytes each item takes and compared with what remains of the file, so no array is larger than the file and what
/// is allocated grows with the bytes actually present, never with the counts claimed.
/// Every failure is an <see cref="InvalidDataException"/> that names the file, the item and the offset.
/// </remarks>
internal sealed class GgufBoundedReader
{
    /// <summary>Deepest nesting of arrays inside arrays accepted (real files use none).</summary>
    public const int MaxArrayDepth = 4;

    private const int MaxShownKeyLength = 80;

    private readonly Stream _stream;
    private readonly byte[] _scratch = new byte[8];

    public GgufBoundedReader(Stream stream, string sourceName)
    {
        _stream = stream;
        SourceName = sourceName;
        Length = stream.Length - stream.Position;
    }

    /// <summary>Gets the file name (or a description of the stream) used in error messages.</summary>
    public string SourceName { get; }

    /// <summary>Gets the number of bytes from where reading started to the end of the stream.</summary>
    public long Length { get; }

    /// <summary>Gets the number of bytes consumed so far.</summary>
    public long Position { get; private set; }

    public long Remaining => Length - Position;

    public InvalidDataException Corrupt(string detail) =>
        new($"'{SourceName}' is not a valid GGUF file: {detail}. The file may be truncated or damaged; download it again.");

    /// <summary>Fails unless <paramref name="count"/> items of at least <paramref name="minBytesEach"/> bytes can still follow.</summary>
    public void RequireItems(ulong count, int minBytesEach, string what)
    {
        if (count > (ulong)(Remaining / minBytesEach))
        {
            throw Corrupt($"{what} claims {count} items of at least {minBytesEach} bytes at offset {Position}, but only {Remaining} bytes remain");
        }

        if (count > (ulong)Array.MaxLength)
        {
            throw Corrupt($"{what} claims {count} items at offset {Position}, more than one array can hold");
        }
    }

    public byte ReadUInt8(string what) => Fill(1, what)[0];

    public ushort ReadUInt16(string what) => BinaryPrimitives.ReadUInt16LittleEndian(Fill(2, what));

    public uint ReadUInt32(string what) => BinaryPrimitives.ReadUInt32LittleEndian(Fill(4, what));

    public ulong ReadUInt64(string what) => BinaryPrimitives.ReadUInt64LittleEndian(Fill(8, what));

    /// <summary>Reads a GGUF string: a u64 byte length then UTF-8 bytes (invalid sequences become U+FFFD).</summary>
    public string ReadString(string what)
    {
        ulong length = ReadUInt64(what);
        RequireItems(length, 1, what);
        if (length == 0)
        {
            return string.Empty;
        }

        byte[] buffer = ArrayPool<byte>.Shared.Rent(checked((int)length));
        try
        {
            ReadExactly(buffer.AsSpan(0, (int)length));
            return Encoding.UTF8.GetString(buffer, 0, (int)length);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Reads a metadata value of <paramref name="type"/>: a boxed number, bool, string, or array.</summary>
    public object ReadValue(GgufValueType type, string key) => ReadValue(type, key, depth: 0);

    /// <summary>Shortens a string taken from the file so that an error message stays readable.</summary>
    public static string Shorten(string value) =>
        value.Length <= MaxShownKeyLength ? value : string.Concat(value.AsSpan(0, MaxShownKeyLength), "...");

    private object ReadValue(GgufValueType type, string key, int depth)
    {
        string what = $"metadata value '{Shorten(key)}'";
        return type switch
        {
            GgufValueType.UInt8 => ReadUInt8(what),
            GgufValueType.Int8 => (sbyte)ReadUInt8(what),
            GgufValueType.UInt16 => ReadUInt16(what),
            GgufValueType.Int16 => (short)ReadUInt16(what),
            GgufValueType.UInt32 => ReadUInt32(what),
            GgufValueType.Int32 => (int)ReadUInt32(what),
            GgufValueType.Float32 => BitConverter.UInt32BitsToSingle(ReadUInt32(what)),
            GgufValueType.Bool => ReadUInt8(what) != 0,
            GgufValueType.String => ReadString(what),
            GgufValueType.Array => ReadArray(key, depth),
            GgufValueType.UInt64 => ReadUInt64(what),
            GgufValueType.Int64 => (long)ReadUInt64(what),
            GgufValueType.Float64 => BitConverter.UInt64BitsToDouble(ReadUInt64(what)),
            _ => throw Corrupt($"metadata key '{Shorten(key)}' has unknown value type {(uint)type}"),
        };
    }

    private object ReadArray(string key, int depth)
    {
        string what = $"array '{Shorten(key)}'";
        if (depth >= MaxArrayDepth)
        {
            throw Corrupt($"{what} nests arrays deeper than {MaxArrayDepth}");
        }

        var elementType = (GgufValueType)ReadUInt32(what);
        ulong count = ReadUInt64(what);
        return elementType switch
        {
            GgufValueType.UInt8 => ReadFixedArray<byte>(count, what),
            GgufValueType.Int8 => ReadFixedArray<sbyte>(count, what),
            GgufValueType.UInt16 => ReadFixedArray<ushort>(count, what),
            GgufValueType.Int16 => ReadFixedArray<short>(count, what),
            GgufValueType.UInt32 => ReadFixedArray<uint>(count, what),
            GgufValueType.Int32 => ReadFixedArray<int>(count, what),
            GgufValueType.Float32 => ReadFixedArray<float>(count, what),
            GgufValueType.Bool => ReadBoolArray(count, what),
            GgufValueType.UInt64 => ReadFixedArray<ulong>(count, what),
            GgufValueType.Int64 => ReadFixedArray<long>(count, what),
            GgufValueType.Float64 => ReadFixedArray<double>(count, what),
            GgufValueType.String => ReadStringArray(count, what),
            GgufValueType.Array => ReadNestedArrays(count, key, depth),
            _ => throw Corrupt($"{what} has unknown element type {(uint)elementType}"),
        };
    }

    private T[] ReadFixedArray<T>(ulong count, string what)
        where T : unmanaged
    {
        RequireItems(count, Unsafe.SizeOf<T>(), what);
        if (count == 0)
        {
            return [];
        }

        var values = new T[count];

        // GGUF is little-endian, as is every platform .NET 10 runs on, so the bytes are the values.
        if (!BitConverter.IsLittleEndian)
        {
            throw new PlatformNotSupportedException("Reading GGUF needs a little-endian platform.");
        }

        ReadExactly(MemoryMarshal.AsBytes(values.AsSpan()));
        return values;
    }

    private bool[] ReadBoolArray(ulong count, string what)
    {
        bool[] values = ReadFixedArray<bool>(count, what);

        // Any nonzero byte is true; normalise so that every bool holds 0 or 1.
        Span<byte> raw = MemoryMarshal.AsBytes(values.AsSpan());
        for (int i = 0; i < raw.Length; i++)
        {
            raw[i] = raw[i] != 0 ? (byte)1 : (byte)0;
        }

        return values;
    }

    private string[] ReadStringArray(ulong count, string what)
    {
        RequireItems(count, sizeof(ulong), what);
        var values = count == 0 ? [] : new string[count];
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = ReadString(what);
        }

        return values;
    }

    private object[] ReadNestedArrays(ulong count, string key, int depth)
    {
        // The least an inner array takes: u32 element type and u64 count.
        RequireItems(count, sizeof(uint) + sizeof(ulong), $"array '{Shorten(key)}'");
        var values = new object[count];
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = ReadArray(key, depth + 1);
        }

        return values;
    }

    private ReadOnlySpan<byte> Fill(int count, string what)
    {
        if (count > Remaining)
        {
            throw Corrupt($"{what} needs {count} bytes at offset {Position}, but only {Remaining} remain");
        }

        Span<byte> span = _scratch.AsSpan(0, count);
        ReadExactly(span);
        return span;
    }

    private void ReadExactly(Span<byte> destination)
    {
        _stream.ReadExactly(destination);
        Position += destination.Length;
    }
}
