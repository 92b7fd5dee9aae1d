using System.Buffers.Binary;
using System.Numerics;

namespace MeshLlm.Models.Gguf;

/// <summary>Reads the header, metadata and tensor table of a GGUF file (never the tensor data), rejecting malformed input.</summary>
/// <remarks>
/// Accepts versions 2 and 3, which share a layout. Checks what llama.cpp's loader checks and a little more: unique
/// keys and tensor names, at most 4 dimensions without overflow, a power-of-two <c>general.alignment</c>, aligned
/// tensor offsets, and (for F32, F16 and Q8_0) tensor data that ends inside the file, so a truncated download fails
/// here. Every failure is an <see cref="InvalidDataException"/>.
/// </remarks>
internal static class GgufReader
{
    /// <summary>The four bytes "GGUF" read as a little-endian uint32.</summary>
    public const uint Magic = 0x46554747;

    /// <summary>The size of magic, version and the two counts.</summary>
    public const int HeaderBytes = 24;

    private const int MaxDimensions = 4;

    // The least a metadata entry takes (u64 key length, u32 type, 1-byte value) and a tensor info
    // (u64 name length, u32 n_dims, u32 type, u64 offset).
    private const int MinMetadataEntryBytes = 13;
    private const int MinTensorInfoBytes = 24;

    /// <summary>Reads a GGUF file's header, metadata and tensor table.</summary>
    /// <exception cref="InvalidDataException">The file is not GGUF, or is malformed or truncated.</exception>
    public static GgufFile Read(string path, CancellationToken cancellationToken = default)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 64 * 1024, FileOptions.SequentialScan);
        return Read(stream, path, cancellationToken);
    }

    /// <summary>Reads from the current position of a seekable stream; offsets are relative to that position.</summary>
    /// <param name="stream">A seekable stream positioned at the magic.</param>
    /// <param name="sourceName">What to call the input in error messages.</param>
    /// <param name="cancellationToken">Checked between metadata entries and tensor infos.</param>
    public static GgufFile Read(Stream stream, string sourceName, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(sourceName);
        if (!stream.CanSeek)
        {
            throw new ArgumentException("Reading GGUF needs a seekable stream to bound every length by the file size.", nameof(stream));
        }

        var reader = new GgufBoundedReader(stream, sourceName);
        GgufHeader header = ReadHeader(reader);
        Dictionary<string, object> metadata = ReadMetadata(reader, header.MetadataCount, cancellationToken);
        uint alignment = GetAlignment(reader, metadata);
        List<GgufTensorInfo> tensors = ReadTensorInfos(reader, header.TensorCount, alignment, cancellationToken);
        long dataOffset = AlignUp(reader.Position, alignment);
        CheckTensorData(reader, tensors, dataOffset);
        return new GgufFile
        {
            Version = header.Version,
            Metadata = metadata,
            Tensors = tensors,
            Alignment = alignment,
            DataOffset = dataOffset,
            FileLength = reader.Length,
        };
    }

    /// <summary>Tells whether the file at <paramref name="path"/> exists and starts with the GGUF magic; reads 4 bytes.</summary>
    public static bool IsGguf(string path) => TryReadHeader(path, out _, requireFullHeader: false);

    /// <summary>Reads the 24-byte header if the file exists and starts with the GGUF magic; the version is not checked.</summary>
    public static bool TryReadHeader(string path, out GgufHeader header) => TryReadHeader(path, out header, requireFullHeader: true);

    /// <summary>Reads the 24-byte header from the current position if it starts with the GGUF magic.</summary>
    public static bool TryReadHeader(Stream stream, out GgufHeader header)
    {
        ArgumentNullException.ThrowIfNull(stream);
        Span<byte> bytes = stackalloc byte[HeaderBytes];
        int read = stream.ReadAtLeast(bytes, HeaderBytes, throwOnEndOfStream: false);
        header = default;
        if (read < HeaderBytes || BinaryPrimitives.ReadUInt32LittleEndian(bytes) != Magic)
        {
            return false;
        }

        header = new GgufHeader(
            BinaryPrimitives.ReadUInt32LittleEndian(bytes[4..]),
            BinaryPrimitives.ReadUInt64LittleEndian(bytes[8..]),
            BinaryPrimitives.ReadUInt64LittleEndian(bytes[16..]));
        return true;
    }

    private static bool TryReadHeader(string path, out GgufHeader header, bool requireFullHeader)
    {
        header = default;
        if (!File.Exists(path))
        {
            return false;
        }

        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1);
        if (requireFullHeader)
        {
            return TryReadHeader(stream, out header);
        }

        Span<byte> magic = stackalloc byte[4];
        return stream.ReadAtLeast(magic, 4, throwOnEndOfStream: false) == 4
            && BinaryPrimitives.ReadUInt32LittleEndian(magic) == Magic;
    }

    private static GgufHeader ReadHeader(GgufBoundedReader reader)
    {
        if (reader.Length < 4 || reader.ReadUInt32("magic") != Magic)
        {
            throw new InvalidDataException(
                $"'{reader.SourceName}' is not a GGUF file (bad magic): it does not start with \"GGUF\". Check that the path points at a .gguf model.");
        }

        uint version = reader.ReadUInt32("version");
        if (version is not (2 or 3))
        {
            string hint = BinaryPrimitives.ReverseEndianness(version) is 2 or 3 ? " (a big-endian GGUF, which is not supported)" : string.Empty;
            throw new InvalidDataException(
                $"'{reader.SourceName}' uses GGUF version {version}{hint}; only versions 2 and 3 are supported. Convert the model with a recent llama.cpp.");
        }

        ulong tensorCount = reader.ReadUInt64("tensor count");
        ulong metadataCount = reader.ReadUInt64("metadata count");
        reader.RequireItems(metadataCount, MinMetadataEntryBytes, "metadata count");
        reader.RequireItems(tensorCount, MinTensorInfoBytes, "tensor count");
        return new GgufHeader(version, tensorCount, metadataCount);
    }

    private static Dictionary<string, object> ReadMetadata(GgufBoundedReader reader, ulong count, CancellationToken cancellationToken)
    {
        // Not pre-sized: the count comes from the file.
        var metadata = new Dictionary<string, object>(StringComparer.Ordinal);
        for (ulong i = 0; i < count; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            string key = reader.ReadString($"metadata key {i}");
            var type = (GgufValueType)reader.ReadUInt32($"metadata type of '{GgufBoundedReader.Shorten(key)}'");
            object value = reader.ReadValue(type, key);
            if (!metadata.TryAdd(key, value))
            {
                throw reader.Corrupt($"metadata key '{GgufBoundedReader.Shorten(key)}' appears twice");
            }
        }

        return metadata;
    }

    private static uint GetAlignment(GgufBoundedReader reader, Dictionary<string, object> metadata)
    {
        if (!metadata.TryGetValue(GgufWriter.AlignmentKey, out object? value))
        {
            return GgufWriter.DefaultAlignment;
        }

        return value is uint alignment && BitOperations.IsPow2(alignment)
            ? alignment
            : throw reader.Corrupt($"{GgufWriter.AlignmentKey} must be a uint32 power of two, not {value} ({value.GetType().Name})");
    }

    private static List<GgufTensorInfo> ReadTensorInfos(
        GgufBoundedReader reader, ulong count, uint alignment, CancellationToken cancellationToken)
    {
        var tensors = new List<GgufTensorInfo>();
        var names = new HashSet<string>(StringComparer.Ordinal);
        for (ulong i = 0; i < count; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            GgufTensorInfo tensor = ReadTensorInfo(reader, i, alignment);
            if (!names.Add(tensor.Name))
            {
                throw reader.Corrupt($"tensor '{GgufBoundedReader.Shorten(tensor.Name)}' appears twice");
            }

            tensors.Add(tensor);
        }

        return tensors;
    }

    private static GgufTensorInfo ReadTensorInfo(GgufBoundedReader reader, ulong index, uint alignment)
    {
        string name = reader.ReadString($"tensor {index} name");
        string what = $"tensor '{GgufBoundedReader.Shorten(name)}'";
        uint dimensionCount = reader.ReadUInt32(what);
        if (dimensionCount > MaxDimensions)
        {
            throw reader.Corrupt($"{what} has {dimensionCount} dimensions; at most {MaxDimensions} are allowed");
        }

        var dimensions = new long[dimensionCount];
        long elements = 1;
        for (int d = 0; d < dimensions.Length; d++)
        {
            ulong size = reader.ReadUInt64(what);
            if (size > long.MaxValue || (size != 0 && elements > long.MaxValue / (long)size))
            {
                throw reader.Corrupt($"{what} has dimensions whose element count overflows");
            }

            dimensions[d] = (long)size;
            elements *= (long)size;
        }

        var type = (GgmlType)reader.ReadUInt32(what);
        if (dimensions.Length > 0 && GgmlTensorEncoder.TryGetBlockLayout(type, out int blockLength, out _) && dimensions[0] % blockLength != 0)
        {
            throw reader.Corrupt($"{what} is {type} but ne0 {dimensions[0]} is not a multiple of its block size {blockLength}");
        }

        ulong offset = reader.ReadUInt64(what);
        if (offset > long.MaxValue || offset % alignment != 0)
        {
            throw reader.Corrupt($"{what} has offset {offset}, which is not a multiple of the alignment {alignment}");
        }

        return new GgufTensorInfo(name, dimensions, type, (long)offset);
    }

    private static void CheckTensorData(GgufBoundedReader reader, List<GgufTensorInfo> tensors, long dataOffset)
    {
        foreach (GgufTensorInfo tensor in tensors)
        {
            // Int128: the element count of a hostile tensor may be near long.MaxValue.
            if (!GgmlTensorEncoder.TryGetBlockLayout(tensor.Type, out int blockLength, out int blockBytes))
            {
                continue;
            }

            Int128 end = (Int128)dataOffset + tensor.Offset + ((Int128)tensor.ElementCount / blockLength * blockBytes);
            if (end > reader.Length)
            {
                throw reader.Corrupt(
                    $"tensor '{GgufBoundedReader.Shorten(tensor.Name)}' data ends at byte {end}, past the end of the file ({reader.Length} bytes)");
            }
        }
    }

    private static long AlignUp(long value, uint alignment) => (value + alignment - 1) / alignment * alignment;
}
