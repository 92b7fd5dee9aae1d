using System.Globalization;
using System.Text;
using System.Text.Json;

namespace MeshLlm.Discovery.Nostr;

/// <summary>A signed Nostr event (NIP-01): id = SHA-256 of the canonical serialization, sig = BIP-340 over the id.</summary>
/// <remarks>
/// Nothing from a relay is trusted until <see cref="Verify"/> says so: a relay can serve anything, so every event
/// read is checked for its id and signature before use. Hex fields are lowercase, as NIP-01 requires.
/// </remarks>
public sealed record NostrEvent(
    string Id,
    string PubKey,
    long CreatedAt,
    int Kind,
    IReadOnlyList<IReadOnlyList<string>> Tags,
    string Content,
    string Sig)
{
    /// <summary>The NIP-01 id: lowercase hex SHA-256 of <c>[0,pubkey,created_at,kind,tags,content]</c>.</summary>
    public static string ComputeId(string pubKey, long createdAt, int kind, IReadOnlyList<IReadOnlyList<string>> tags, string content) =>
        Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes(Serialize(pubKey, createdAt, kind, tags, content))));

    /// <summary>The exact text NIP-01 hashes for the id (see <see cref="NostrJson"/> for the escaping).</summary>
    internal static string Serialize(string pubKey, long createdAt, int kind, IReadOnlyList<IReadOnlyList<string>> tags, string content)
    {
        ArgumentNullException.ThrowIfNull(pubKey);
        ArgumentNullException.ThrowIfNull(tags);
        ArgumentNullException.ThrowIfNull(content);
        var sb = new StringBuilder(128 + content.Length);
        sb.Append("[0,");
        NostrJson.WriteString(sb, pubKey);
        sb.Append(',').Append(createdAt.ToString(CultureInfo.InvariantCulture));
        sb.Append(',').Append(kind.ToString(CultureInfo.InvariantCulture)).Append(',');
        NostrJson.WriteTags(sb, tags);
        sb.Append(',');
        NostrJson.WriteString(sb, content);
        return sb.Append(']').ToString();
    }

    /// <summary>True when the id is the hash of the fields and the signature is the pubkey's over it; never throws.</summary>
    public bool Verify()
    {
        try
        {
            if (!IsLowerHex(Id, 64) || !IsLowerHex(PubKey, 64) || !IsLowerHex(Sig, 128)
                || Tags is null || Content is null || Tags.Any(t => t is null || t.Any(v => v is null)))
            {
                return false;
            }

            if (ComputeId(PubKey, CreatedAt, Kind, Tags, Content) != Id)
            {
                return false;
            }

            return Bip340.Verify(Convert.FromHexString(PubKey), Convert.FromHexString(Id), Convert.FromHexString(Sig));
        }
        catch (Exception e) when (e is FormatException or ArgumentException or InvalidOperationException)
        {
            return false;
        }
    }

    /// <summary>The value (second element) of the first tag named <paramref name="name"/>; null when none or it has no value.</summary>
    public string? FirstTag(string name) =>
        Tags.FirstOrDefault(t => t.Count >= 1 && t[0] == name) is { Count: >= 2 } tag ? tag[1] : null;

    /// <summary>NIP-40: when relays and readers should drop this event; null when absent or not a Unix time.</summary>
    public DateTimeOffset? Expiration =>
        long.TryParse(FirstTag("expiration"), NumberStyles.None, CultureInfo.InvariantCulture, out var seconds)
            && seconds <= DateTimeOffset.MaxValue.ToUnixTimeSeconds()
            ? DateTimeOffset.FromUnixTimeSeconds(seconds)
            : null;

    /// <summary>The event as a NIP-01 JSON object, escaped the same way as the id's serialization.</summary>
    public string ToJson()
    {
        var sb = new StringBuilder(256 + Content.Length);
        sb.Append("{\"id\":");
        NostrJson.WriteString(sb, Id);
        sb.Append(",\"pubkey\":");
        NostrJson.WriteString(sb, PubKey);
        sb.Append(",\"created_at\":").Append(CreatedAt.ToString(CultureInfo.InvariantCulture));
        sb.Append(",\"kind\":").Append(Kind.ToString(CultureInfo.InvariantCulture));
        sb.Append(",\"tags\":");
        NostrJson.WriteTags(sb, Tags);
        sb.Append(",\"content\":");
        NostrJson.WriteString(sb, Content);
        sb.Append(",\"sig\":");
        NostrJson.WriteString(sb, Sig);
        sb.Append('}');
        return sb.ToString();
    }

    /// <summary>Reads an event object; null when a field is missing or of the wrong JSON type. Does not verify.</summary>
    public static NostrEvent? FromJson(JsonElement e)
    {
        try
        {
            if (e.ValueKind != JsonValueKind.Object
                || !TryString(e, "id", out var id)
                || !TryString(e, "pubkey", out var pubKey)
                || !TryString(e, "content", out var content)
                || !TryString(e, "sig", out var sig)
                || !e.TryGetProperty("created_at", out var createdAt) || createdAt.ValueKind != JsonValueKind.Number
                || !createdAt.TryGetInt64(out var created)
                || !e.TryGetProperty("kind", out var kindElement) || kindElement.ValueKind != JsonValueKind.Number
                || !kindElement.TryGetInt32(out var kind)
                || !e.TryGetProperty("tags", out var tagsElement) || tagsElement.ValueKind != JsonValueKind.Array)
            {
                return null;
            }

            var tags = new List<IReadOnlyList<string>>(tagsElement.GetArrayLength());
            foreach (var tag in tagsElement.EnumerateArray())
            {
                if (tag.ValueKind != JsonValueKind.Array || tag.EnumerateArray().Any(v => v.ValueKind != JsonValueKind.String))
                {
                    return null;
                }

                tags.Add([.. tag.EnumerateArray().Select(v => v.GetString()!)]);
            }

            return new NostrEvent(id, pubKey, created, kind, tags, content, sig);
        }
        catch (InvalidOperationException)
        {
            // An escaped lone surrogate that System.Text.Json will not turn into a string.
            return null;
        }
    }

    private static bool TryString(JsonElement e, string name, out string value)
    {
        value = "";
        if (!e.TryGetProperty(name, out var p) || p.ValueKind != JsonValueKind.String)
        {
            return false;
        }

        value = p.GetString()!;
        return true;
    }

    private static bool IsLowerHex(string? value, int length) =>
        value is not null && value.Length == length && value.All(c => char.IsAsciiDigit(c) || c is >= 'a' and <= 'f');
}
