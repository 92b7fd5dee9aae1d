using System.Security.Cryptography;
using System.Text;

namespace MeshLlm.Identity;

/// <summary>Identifies one mesh across its members and its Nostr listings (DESIGN.md §5).</summary>
public readonly record struct MeshId
{
    private MeshId(string value) => Value = value;

    public string Value { get; }

    /// <summary>A named mesh: the first 16 hex of SHA-256("mesh-llm:" + name + ":" + Nostr public key hex, or empty).</summary>
    public static MeshId ForName(string name, string? nostrPublicKeyHex)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes($"mesh-llm:{name}:{nostrPublicKeyHex ?? ""}"));
        return new MeshId(Convert.ToHexStringLower(hash)[..16]);
    }

    /// <summary>An unnamed mesh: 128 random bits as 32 hex characters.</summary>
    public static MeshId NewRandom() => new(Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16)));

    /// <summary>Accepts 16 or 32 lowercase hex characters.</summary>
    public static bool TryParse(string? text, out MeshId id)
    {
        id = default;
        if (text is not ({ Length: 16 } or { Length: 32 }) || !text.All(c => c is >= '0' and <= '9' or >= 'a' and <= 'f'))
        {
            return false;
        }

        id = new MeshId(text);
        return true;
    }

    public override string ToString() => Value;
}
