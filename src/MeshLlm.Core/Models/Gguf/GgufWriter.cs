using System.Numerics;
using System.Runtime.InteropServices;
using System.Text;

namespace MeshLlm.Models.Gguf;

/// <summary>Writes a GGUF v3 file: metadata and tensor table first, then tensor data streamed row by row.</summary>
/// <remarks>
/// Layout (all little-endian):
/// <code>
/// "GGUF" | u32 version=3 | u64 tensor_count | u64 kv_count | KVs | tensor infos | pad | data (each tensor padded)
/// </code>
/// Metadata and tensor declarations are collected first; <see cref="WriteTo"/> then computes the offsets, writes the
/// small header from memory and encodes each tensor in batches of rows, so a large model is never held in memory.
/// The alignment is 32 unless a <c>general.alignment</c> value is added.
/// </remarks>
internal sealed partial class GgufWriter
{
    /// <summary>The alignment of the data section and of every tensor when no <c>general.alignment</c> is given.</summary>
    public const uint DefaultAlignment = 32;

    /// <summary>The version this writer produces.</summary>
    public const uint Version = 3;

    /// <summary>The metadata key that sets the alignment.</summary>
    public const string AlignmentKey = "general.alignment";

    private const int MaxDimensions = 4;

    private readonly List<MetadataEntry> _metadata = [];
    private readonly HashSet<string> _keys = new(StringComparer.Ordinal);
    private readonly List<TensorEntry> _tensors = [];
    private readonly HashSet<string> _tensorNames = new(StringComparer.Ordinal);

    /// <summary>Gets the alignment in bytes of the data section and of each tensor.</summary>
    public uint Alignment { get; private set; } = DefaultAlignment;

    /// <summary>Gets how many rows may be produced and encoded at once. Default 1: rows in order on the calling thread.
    /// Above 1, row sources are called concurrently and must be thread-safe; the bytes written are the same.</summary>
    public int MaxDegreeOfParallelism
    {
        get;
        init
        {
            ArgumentOutOfRangeException.ThrowIfNegativeOrZero(value);
            field = value;
        }
    } = 1;

    /// <summary>Declares a tensor whose data <paramref name="rows"/> produces when the file is written.</summary>
    /// <param name="name">A unique tensor name.</param>
    /// <param name="dimensions">One to four sizes, ne0 (the contiguous dimension) first.</param>
    /// <param name="type">F32, F16 or Q8_0; Q8_0 needs ne0 to be a multiple of 32.</param>
    /// <param name="rows">Fills each row of ne0 values.</param>
    public void AddTensor(string name, IReadOnlyList<long> dimensions, GgmlType type, GgufRowSource rows)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(dimensions);
        ArgumentNullException.ThrowIfNull(rows);
        if (dimensions.Count is < 1 or > MaxDimensions)
        {
            throw new ArgumentException($"Tensor '{name}' has {dimensions.Count} dimensions; GGUF allows 1 to 4.", nameof(dimensions));
        }

        long elements = 1;
        foreach (long dimension in dimensions)
        {
            ArgumentOutOfRangeException.ThrowIfNegativeOrZero(dimension, nameof(dimensions));
            elements = checked(elements * dimension);
        }

        // A row is encoded in one buffer, so its bytes must fit in an int.
        ArgumentOutOfRangeException.ThrowIfGreaterThan(dimensions[0], int.MaxValue / 4, nameof(dimensions));
        int rowBytes = GgmlTensorEncoder.GetRowByteCount(type, (int)dimensions[0]);
        if (!_tensorNames.Add(name))
        {
            throw new ArgumentException($"Tensor '{name}' was already added.", nameof(name));
        }

        long byteSize = checked(elements / dimensions[0] * rowBytes);
        _tensors.Add(new TensorEntry(name, [.. dimensions], type, rows, byteSize));
    }

    /// <summary>Writes the whole file to <paramref name="stream"/>, which need not be seekable.</summary>
    public void WriteTo(Stream stream, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(stream);
        long[] offsets = ComputeOffsets();
        byte[] header = BuildHeader(offsets);
        stream.Write(header);
        WritePadding(stream, header.Length);
        foreach (TensorEntry tensor in _tensors)
        {
            cancellationToken.ThrowIfCancellationRequested();
            WriteTensorData(stream, tensor, cancellationToken);
            WritePadding(stream, tensor.ByteSize);
        }

        stream.Flush();
    }

    private long[] ComputeOffsets()
    {
        var offsets = new long[_tensors.Count];
        long next = 0;
        for (int i = 0; i < _tensors.Count; i++)
        {
            offsets[i] = next;
            next = checked(next + _tensors[i].ByteSize + PaddingFor(_tensors[i].ByteSize));
        }

        return offsets;
    }

    private byte[] BuildHeader(long[] offsets)
    {
        using var buffer = new MemoryStream();
        using var writer = new BinaryWriter(buffer, Encoding.UTF8, leaveOpen: true);
        writer.Write("GGUF"u8);
        writer.Write(Version);
        writer.Write((ulong)_tensors.Count);
        writer.Write((ulong)_metadata.Count);
        foreach (MetadataEntry entry in _metadata)
        {
            WriteString(writer, entry.Key);
            writer.Write((uint)entry.Type);
            WriteValue(writer, entry.Value);
        }

        for (int i = 0; i < _tensors.Count; i++)
        {
            TensorEntry tensor = _tensors[i];
            WriteString(writer, tensor.Name);
            writer.Write((uint)tensor.Dimensions.Length);
            foreach (long dimension in tensor.Dimensions)
            {
                writer.Write((ulong)dimension);
            }

            writer.Write((uint)tensor.Type);
            writer.Write((ulong)offsets[i]);
        }

        writer.Flush();
        return buffer.ToArray();
    }

    private long PaddingFor(long length) => (Alignment - (length % Alignment)) % Alignment;

    private void WritePadding(Stream stream, long length)
    {
        Span<byte> zeros = stackalloc byte[(int)PaddingFor(length)];
        zeros.Clear();
        stream.Write(zeros);
    }

    private static void WriteString(BinaryWriter writer, string value)
    {
        byte[] bytes = Encoding.UTF8.GetBytes(value);
        writer.Write((ulong)bytes.Length);
        writer.Write(bytes);
    }

    private static void WriteValue(BinaryWriter writer, object value)
    {
        switch (value)
        {
            case byte v: writer.Write(v); break;
            case sbyte v: writer.Write(v); break;
            case ushort v: writer.Write(v); break;
            case short v: writer.Write(v); break;
            case uint v: writer.Write(v); break;
            case int v: writer.Write(v); break;
            case float v: writer.Write(v); break;
            case bool v: writer.Write(v); break;
            case string v: WriteString(writer, v); break;
            case ulong v: writer.Write(v); break;
            case long v: writer.Write(v); break;
            case double v: writer.Write(v); break;
            case ArrayValue array: WriteArray(writer, array); break;
            default: throw new InvalidOperationException($"Unexpected metadata value type {value.GetType()}.");
        }
    }

    private static void WriteArray(BinaryWriter writer, ArrayValue array)
    {
        writer.Write((uint)array.ElementType);
        writer.Write((ulong)array.Count);
        if (array.Payload is string[] strings)
        {
            foreach (string value in strings)
            {
                WriteString(writer, value);
            }
        }
        else
        {
            writer.Write((byte[])array.Payload);
        }
    }

    private static bool IsPowerOfTwo(uint value) => BitOperations.IsPow2(value);

    private static byte[] ToLittleEndianBytes<T>(IReadOnlyList<T> values)
        where T : unmanaged
    {
        // GGUF is little-endian, as is every platform .NET 10 runs on; the payload is the values' memory as is.
        if (!BitConverter.IsLittleEndian)
        {
            throw new PlatformNotSupportedException("Writing GGUF needs a little-endian platform.");
        }

        T[] copy = [.. values];
        return MemoryMarshal.AsBytes(copy.AsSpan()).ToArray();
    }

    private sealed record MetadataEntry(string Key, GgufValueType Type, object Value);

    /// <summary>An array value: a string[] or the little-endian bytes of the elements.</summary>
    private sealed record ArrayValue(GgufValueType ElementType, long Count, object Payload);

    private sealed record TensorEntry(string Name, long[] Dimensions, GgmlType Type, GgufRowSource Rows, long ByteSize);
}
