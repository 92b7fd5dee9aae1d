using System.Security.Cryptography;

namespace MeshLlm.Identity;

/// <summary>
/// A node's identity: lowercase hex SHA-256 of its public key's SubjectPublicKeyInfo (64 characters).
/// Ordered by ordinal comparison, which election tie-breaks and duplicate-connection rules rely on.
/// </summary>
public readonly record struct NodeId : IComparable<NodeId>
{
    public const int HexLength = 64;

    private NodeId(string hex) => Hex = hex;

    public string Hex { get; }

    public static NodeId FromPublicKey(ECDsa key) =>
        new(Convert.ToHexStringLower(SHA256.HashData(key.ExportSubjectPublicKeyInfo())));

    public static bool TryParse(string? text, out NodeId id)
    {
        id = default;
        if (text is not { Length: HexLength } || !text.All(c => c is >= '0' and <= '9' or >= 'a' and <= 'f'))
        {
            return false;
        }

        id = new NodeId(text);
        return true;
    }

    /// <summary>The first 10 hex characters, for logs and tables.</summary>
    public string ToShortString() => Hex[..10];

    public override string ToString() => Hex;

    public int CompareTo(NodeId other) => string.CompareOrdinal(Hex, other.Hex);

    public static bool operator <(NodeId left, NodeId right) => left.CompareTo(right) < 0;

    public static bool operator <=(NodeId left, NodeId right) => left.CompareTo(right) <= 0;

    public static bool operator >(NodeId left, NodeId right) => left.CompareTo(right) > 0;

    public static bool operator >=(NodeId left, NodeId right) => left.CompareTo(right) >= 0;
}
