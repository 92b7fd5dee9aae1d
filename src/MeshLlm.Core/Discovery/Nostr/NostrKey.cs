using System.Globalization;
using System.Security.Cryptography;
using MeshLlm.Identity;
using NBitcoin.Secp256k1;

namespace MeshLlm.Discovery.Nostr;

/// <summary>A secp256k1 key that signs Nostr events (BIP-340), shown as NIP-19 <c>nsec</c>/<c>npub</c>.</summary>
/// <remarks>
/// Kept in <c>$MESH_LLM_HOME/nostr.nsec</c> as the nsec text and a newline, mode 0600. As with the node key
/// (<see cref="NodeKey"/>), a file that is a symbolic link or readable by others is refused, never "fixed".
/// </remarks>
public sealed class NostrKey
{
    public const string FileName = "nostr.nsec";

    private readonly ECPrivKey _key;
    private readonly byte[] _secret;

    private NostrKey(ECPrivKey key, byte[] secret)
    {
        _key = key;
        _secret = secret;
        Span<byte> xOnly = stackalloc byte[32];
        key.CreateXOnlyPubKey().WriteToSpan(xOnly);
        PublicKeyHex = Convert.ToHexStringLower(xOnly);
    }

    /// <summary>The 32-byte x-only public key, lowercase hex, as in an event's <c>pubkey</c>.</summary>
    public string PublicKeyHex { get; }

    public string Npub => NpubFromHex(PublicKeyHex);

    /// <summary>The private key as NIP-19 <c>nsec1…</c>. Secret: never log it.</summary>
    public string Nsec => Bech32.Encode("nsec", _secret);

    public static NostrKey Generate()
    {
        while (true)
        {
            var secret = RandomNumberGenerator.GetBytes(32);
            if (ECPrivKey.TryCreate(secret, out var key))
            {
                return new NostrKey(key, secret);
            }
        }
    }

    /// <exception cref="FormatException">Not a bech32 <c>nsec</c> holding a valid secp256k1 private key.</exception>
    public static NostrKey FromNsec(string nsec)
    {
        ArgumentNullException.ThrowIfNull(nsec);
        var (hrp, data) = Bech32.Decode(nsec.Trim());
        if (hrp != "nsec")
        {
            throw new FormatException($"Expected an nsec key, got a bech32 string of type '{hrp}'.");
        }

        return FromBytes(data, "nsec");
    }

    /// <exception cref="FormatException">Not 64 hex digits of a valid secp256k1 private key.</exception>
    public static NostrKey FromHex(string privateKeyHex)
    {
        ArgumentNullException.ThrowIfNull(privateKeyHex);
        if (privateKeyHex.Length != 64)
        {
            throw new FormatException($"A private key is 64 hex digits, not {privateKeyHex.Length} characters.");
        }

        return FromBytes(Convert.FromHexString(privateKeyHex), "hex key");
    }

    /// <summary>NIP-19 <c>npub1…</c> for a 64-digit hex public key.</summary>
    public static string NpubFromHex(string pubHex)
    {
        ArgumentNullException.ThrowIfNull(pubHex);
        if (pubHex.Length != 64)
        {
            throw new FormatException($"A public key is 64 hex digits, not {pubHex.Length} characters.");
        }

        return Bech32.Encode("npub", Convert.FromHexString(pubHex));
    }

    /// <summary>The lowercase hex public key inside an <c>npub1…</c>.</summary>
    /// <exception cref="FormatException">Not an npub of 32 bytes naming a point on secp256k1.</exception>
    public static string HexFromNpub(string npub)
    {
        ArgumentNullException.ThrowIfNull(npub);
        var (hrp, data) = Bech32.Decode(npub.Trim());
        if (hrp != "npub")
        {
            throw new FormatException($"Expected an npub key, got a bech32 string of type '{hrp}'.");
        }

        if (data.Length != 32)
        {
            throw new FormatException($"An npub holds 32 bytes, this one {data.Length}.");
        }

        if (!ECXOnlyPubKey.TryCreate(data, out _))
        {
            throw new FormatException("The npub is not a point on secp256k1.");
        }

        return Convert.ToHexStringLower(data);
    }

    /// <summary>Signs a new event created at <paramref name="createdAt"/> (whole seconds; the wall clock, since it crosses machines).</summary>
    public NostrEvent Sign(int kind, IReadOnlyList<IReadOnlyList<string>> tags, string content, DateTimeOffset createdAt)
    {
        ArgumentNullException.ThrowIfNull(tags);
        ArgumentNullException.ThrowIfNull(content);
        var copy = tags.Select(t => (IReadOnlyList<string>)[.. t]).ToArray();
        var created = createdAt.ToUnixTimeSeconds();
        var id = NostrEvent.ComputeId(PublicKeyHex, created, kind, copy, content);
        var sig = _key.SignBIP340(Convert.FromHexString(id));
        Span<byte> sigBytes = stackalloc byte[64];
        sig.WriteToSpan(sigBytes);
        return new NostrEvent(id, PublicKeyHex, created, kind, copy, content, Convert.ToHexStringLower(sigBytes));
    }

    /// <summary>BIP-340 signature of a 32-byte message with the given auxiliary randomness (for test vectors).</summary>
    internal byte[] SignRaw(ReadOnlySpan<byte> message32, byte[] auxRand32)
    {
        var sig = _key.SignBIP340(message32, auxRand32);
        var bytes = new byte[64];
        sig.WriteToSpan(bytes);
        return bytes;
    }

    /// <summary>Loads the Nostr key file at <paramref name="path"/>, or creates it (0600) when absent.</summary>
    /// <exception cref="IdentityException">The file exists but is unsafe or does not hold an nsec.</exception>
    public static NostrKey LoadOrCreate(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var info = new FileInfo(path);
        if (info.LinkTarget is not null)
        {
            throw new IdentityException($"The Nostr key {path} is a symbolic link; mesh-llm refuses it. Replace it with the key file itself.");
        }

        return info.Exists ? Load(path) : Create(path);
    }

    private static NostrKey FromBytes(byte[] secret, string what)
    {
        if (secret.Length != 32)
        {
            throw new FormatException(string.Create(CultureInfo.InvariantCulture, $"An {what} holds 32 bytes, this one {secret.Length}."));
        }

        if (!ECPrivKey.TryCreate(secret, out var key))
        {
            throw new FormatException($"The {what} is not a valid secp256k1 private key (zero or not below the curve order).");
        }

        return new NostrKey(key, secret);
    }

    private static NostrKey Load(string path)
    {
        if (!OperatingSystem.IsWindows()
            && (File.GetUnixFileMode(path) & (UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.OtherRead | UnixFileMode.OtherWrite)) != 0)
        {
            throw new IdentityException($"The Nostr key {path} is readable or writable by other users; run: chmod 600 {path}");
        }

        try
        {
            return FromNsec(File.ReadAllText(path));
        }
        catch (FormatException e)
        {
            throw new IdentityException($"The Nostr key {path} does not hold an nsec key ({e.Message}) Move it away to get a new Nostr identity.", e);
        }
    }

    private static NostrKey Create(string path)
    {
        var key = Generate();
        // Never overwrite: if another process created the key meanwhile, use theirs.
        return Identity.PrivateFile.TryCreate(path, key.Nsec + "\n") ? key : Load(path);
    }
}
