namespace MeshLlm.Models.Gguf;

// The typed metadata methods; keys must be unique and are written in the order added.
internal sealed partial class GgufWriter
{
    public void AddUInt8(string key, byte value) => Add(key, GgufValueType.UInt8, value);

    public void AddInt8(string key, sbyte value) => Add(key, GgufValueType.Int8, value);

    public void AddUInt16(string key, ushort value) => Add(key, GgufValueType.UInt16, value);

    public void AddInt16(string key, short value) => Add(key, GgufValueType.Int16, value);

    /// <summary>Adds a uint32; adding <see cref="AlignmentKey"/> also sets <see cref="Alignment"/> (a power of two).</summary>
    public void AddUInt32(string key, uint value)
    {
        if (key == AlignmentKey && !IsPowerOfTwo(value))
        {
            throw new ArgumentException($"{AlignmentKey} must be a power of two, not {value}.", nameof(value));
        }

        Add(key, GgufValueType.UInt32, value);
        if (key == AlignmentKey)
        {
            Alignment = value;
        }
    }

    public void AddInt32(string key, int value) => Add(key, GgufValueType.Int32, value);

    public void AddFloat32(string key, float value) => Add(key, GgufValueType.Float32, value);

    public void AddBool(string key, bool value) => Add(key, GgufValueType.Bool, value);

    public void AddString(string key, string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        Add(key, GgufValueType.String, value);
    }

    public void AddUInt64(string key, ulong value) => Add(key, GgufValueType.UInt64, value);

    public void AddInt64(string key, long value) => Add(key, GgufValueType.Int64, value);

    public void AddFloat64(string key, double value) => Add(key, GgufValueType.Float64, value);

    /// <summary>Adds an array of strings.</summary>
    public void AddArray(string key, IReadOnlyList<string> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        string[] copy = [.. values];
        if (Array.IndexOf(copy, null) >= 0)
        {
            throw new ArgumentException($"Array '{key}' contains a null string.", nameof(values));
        }

        Add(key, GgufValueType.Array, new ArrayValue(GgufValueType.String, copy.Length, copy));
    }

    /// <summary>Adds an array of numbers or bools; the element type follows <typeparamref name="T"/>.</summary>
    public void AddArray<T>(string key, IReadOnlyList<T> values)
        where T : unmanaged
    {
        ArgumentNullException.ThrowIfNull(values);
        GgufValueType elementType = ElementTypeOf<T>();
        Add(key, GgufValueType.Array, new ArrayValue(elementType, values.Count, ToLittleEndianBytes(values)));
    }

    private void Add(string key, GgufValueType type, object value)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (!_keys.Add(key))
        {
            throw new ArgumentException($"Metadata key '{key}' was already added.", nameof(key));
        }

        _metadata.Add(new MetadataEntry(key, type, value));
    }

    private static GgufValueType ElementTypeOf<T>()
    {
        Type type = typeof(T);
        return type == typeof(byte) ? GgufValueType.UInt8
            : type == typeof(sbyte) ? GgufValueType.Int8
            : type == typeof(ushort) ? GgufValueType.UInt16
            : type == typeof(short) ? GgufValueType.Int16
            : type == typeof(uint) ? GgufValueType.UInt32
            : type == typeof(int) ? GgufValueType.Int32
            : type == typeof(float) ? GgufValueType.Float32
            : type == typeof(bool) ? GgufValueType.Bool
            : type == typeof(ulong) ? GgufValueType.UInt64
            : type == typeof(long) ? GgufValueType.Int64
            : type == typeof(double) ? GgufValueType.Float64
            : throw new ArgumentException($"GGUF arrays cannot hold {type.Name} elements.", nameof(T));
    }
}
