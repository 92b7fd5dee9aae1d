using System.Buffers.Text;
using System.Globalization;
using System.Text.Json;

namespace MeshLlm.Identity;

/// <summary>
/// What a joiner needs to reach and enter a mesh: base64url (no padding) of a small versioned JSON object
/// <c>{"v":1,"id":NODE-ID,"addrs":["host:port",...],"mesh":MESH-ID,"secret":JOIN-SECRET}</c>.
/// </summary>
/// <remarks>
/// Version rule: a reader accepts every version up to <see cref="CurrentVersion"/> and ignores unknown fields;
/// a newer version is refused with a message asking to upgrade. Tokens are validated before any connection.
/// </remarks>
public sealed record InviteToken(NodeId Node, IReadOnlyList<string> Addresses, MeshId Mesh, string Secret)
{
    public const int CurrentVersion = 1;

    /// <summary>Longest token accepted, in characters: far above any real one, small enough to parse safely.</summary>
    public const int MaxLength = 4096;

    /// <summary>Join secrets are at least 128 bits, written as base64url.</summary>
    public const int MinSecretLength = 22;

    public string Encode()
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteNumber("v", CurrentVersion);
            writer.WriteString("id", Node.Hex);
            writer.WriteStartArray("addrs");
            foreach (var address in Addresses)
            {
                writer.WriteStringValue(address);
            }

            writer.WriteEndArray();
            writer.WriteString("mesh", Mesh.Value);
            writer.WriteString("secret", Secret);
            writer.WriteEndObject();
        }

        return Base64Url.EncodeToString(buffer.ToArray());
    }

    /// <summary>A random 256-bit join secret.</summary>
    public static string NewSecret() => Base64Url.EncodeToString(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));

    /// <summary>Parses and validates a token; on failure <paramref name="error"/> says exactly what is wrong.</summary>
    public static bool TryParse(string? text, out InviteToken token, out string error)
    {
        token = null!;
        error = Check(text?.Trim(), out var parsed) ?? "";
        if (parsed is null)
        {
            return false;
        }

        token = parsed;
        return true;
    }

    private static string? Check(string? text, out InviteToken? token)
    {
        token = null;
        if (string.IsNullOrEmpty(text))
        {
            return "The invite token is empty.";
        }

        if (text.Length > MaxLength)
        {
            return $"The invite token is {text.Length} characters long; real tokens are far shorter (at most {MaxLength}). Was something else pasted?";
        }

        byte[] json;
        try
        {
            json = Base64Url.DecodeFromChars(text);
        }
        catch (FormatException)
        {
            return "The invite token is not base64url text (it may be cut short or contain extra characters).";
        }

        try
        {
            using var document = JsonDocument.Parse(json);
            return Read(document.RootElement, out token);
        }
        catch (JsonException)
        {
            return "The invite token decodes to something that is not a mesh-llm token (not JSON).";
        }
        catch (InvalidOperationException)
        {
            return "The invite token holds text that is not valid UTF-8; it is damaged.";
        }
    }

    private static string? Read(JsonElement root, out InviteToken? token)
    {
        token = null;
        if (root.ValueKind != JsonValueKind.Object)
        {
            return "The invite token is not a mesh-llm token (not a JSON object).";
        }

        if (!root.TryGetProperty("v", out var version) || version.ValueKind != JsonValueKind.Number || !version.TryGetInt32(out var v) || v < 1)
        {
            return "The invite token has no valid version; it was not made by mesh-llm for .NET.";
        }

        if (v > CurrentVersion)
        {
            return $"The invite token is version {v}, made by a newer mesh-llm; this one reads up to version {CurrentVersion}. Upgrade mesh-llm.";
        }

        if (!NodeId.TryParse(String(root, "id"), out var node))
        {
            return "The invite token's node id is missing or not 64 lowercase hex characters.";
        }

        if (!root.TryGetProperty("addrs", out var addrs) || addrs.ValueKind != JsonValueKind.Array || addrs.GetArrayLength() == 0)
        {
            return "The invite token lists no address to connect to.";
        }

        var addresses = new List<string>();
        foreach (var address in addrs.EnumerateArray())
        {
            var text = address.ValueKind == JsonValueKind.String ? address.GetString() : null;
            if (!IsHostPort(text))
            {
                return $"The invite token has an invalid address '{text ?? address.ToString()}'; expected host:port with a port from 1 to 65535.";
            }

            addresses.Add(text!);
        }

        if (!MeshId.TryParse(String(root, "mesh"), out var mesh))
        {
            return "The invite token's mesh id is missing or malformed.";
        }

        var secret = String(root, "secret");
        if (secret is null || secret.Length < MinSecretLength)
        {
            return "The invite token's join secret is missing or too short.";
        }

        token = new InviteToken(node, addresses, mesh, secret);
        return null;
    }

    private static string? String(JsonElement root, string name) =>
        root.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    /// <summary>host:port or [ipv6]:port, port 1-65535.</summary>
    public static bool IsHostPort(string? text)
    {
        if (string.IsNullOrEmpty(text) || text.Length > 300)
        {
            return false;
        }

        var colon = text.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(text.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port is < 1 or > 65535)
        {
            return false;
        }

        var host = text[..colon];
        return host.StartsWith('[')
            ? host.EndsWith(']') && System.Net.IPAddress.TryParse(host[1..^1], out _)
            : !host.Contains(':') && Uri.CheckHostName(host) != UriHostNameType.Unknown;
    }
}
