using System.Security.Cryptography;
using System.Text;

namespace MeshLlm.Identity;

/// <summary>
/// Proves knowledge of a mesh's join secret after TLS, without revealing it: each side sends a fresh 32-byte
/// nonce, then HMAC-SHA256 over both nonces and both node ids, keyed by the secret. The dialer's proof and the
/// acceptor's proof differ (role label), so one cannot be reflected back as the other.
/// </summary>
public static class JoinProof
{
    public const int NonceBytes = 32;

    private static readonly byte[] s_dialerLabel = Encoding.ASCII.GetBytes("mesh-llm join v1 dialer");
    private static readonly byte[] s_acceptorLabel = Encoding.ASCII.GetBytes("mesh-llm join v1 acceptor");

    public static byte[] NewNonce() => RandomNumberGenerator.GetBytes(NonceBytes);

    /// <summary>The proof one side sends; <paramref name="dialer"/> says which side it is.</summary>
    public static byte[] Compute(string secret, bool dialer, ReadOnlySpan<byte> dialerNonce, ReadOnlySpan<byte> acceptorNonce, NodeId dialerId, NodeId acceptorId)
    {
        ArgumentException.ThrowIfNullOrEmpty(secret);
        if (dialerNonce.Length != NonceBytes || acceptorNonce.Length != NonceBytes)
        {
            throw new ArgumentException($"Nonces are {NonceBytes} bytes.");
        }

        using var hmac = new HMACSHA256(SHA256.HashData(Encoding.UTF8.GetBytes(secret)));
        using var data = new MemoryStream();
        data.Write(dialer ? s_dialerLabel : s_acceptorLabel);
        data.Write(dialerNonce);
        data.Write(acceptorNonce);
        data.Write(Encoding.ASCII.GetBytes(dialerId.Hex));
        data.Write(Encoding.ASCII.GetBytes(acceptorId.Hex));
        return hmac.ComputeHash(data.ToArray());
    }

    /// <summary>Checks a received proof in constant time.</summary>
    public static bool Verify(ReadOnlySpan<byte> received, string secret, bool fromDialer, ReadOnlySpan<byte> dialerNonce, ReadOnlySpan<byte> acceptorNonce, NodeId dialerId, NodeId acceptorId) =>
        received.Length == SHA256.HashSizeInBytes
        && CryptographicOperations.FixedTimeEquals(received, Compute(secret, fromDialer, dialerNonce, acceptorNonce, dialerId, acceptorId));
}
