namespace MeshLlm.Models.Gguf;

/// <summary>Steele, Lea and Flood's SplitMix64 generator: fast, seedable, and the same bits on every platform and .NET version.</summary>
internal struct SplitMix64
{
    private const ulong Gamma = 0x9E3779B97F4A7C15;
    private ulong _state;

    public SplitMix64(ulong seed) => _state = seed;

    /// <summary>Returns the next 64 random bits.</summary>
    public ulong NextUInt64()
    {
        _state += Gamma;
        return Mix(_state);
    }

    /// <summary>Returns a float uniform in [-<paramref name="bound"/>, <paramref name="bound"/>).</summary>
    public float NextUniform(float bound)
    {
        // The top 24 bits give an exact float in [0, 1); everything after is exact IEEE arithmetic.
        float unit = (NextUInt64() >> 40) * (1f / (1 << 24));
        return ((unit * 2f) - 1f) * bound;
    }

    /// <summary>The SplitMix64 finalizer: a bijective 64-bit hash.</summary>
    public static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EB;
        return z ^ (z >> 31);
    }

    /// <summary>Hashes a string's UTF-16 code units with FNV-1a (stable, unlike <see cref="string.GetHashCode()"/>).</summary>
    public static ulong Hash(string value)
    {
        ulong hash = 0xCBF29CE484222325;
        foreach (char c in value)
        {
            hash = (hash ^ c) * 0x100000001B3;
        }

        return hash;
    }
}
