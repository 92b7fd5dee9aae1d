namespace MeshLlm.Discovery.Nostr;

/// <summary>BIP-173 bech32 (not bech32m) over 8-bit data, as NIP-19 uses it for <c>npub</c> and <c>nsec</c>.</summary>
/// <remarks>
/// Decoding is strict: one case only, the 32 characters of the bech32 alphabet, a valid checksum, and padding
/// bits that are zero and fewer than five (BIP-173's rules for converting 5-bit groups back to bytes).
/// Every refusal is a <see cref="FormatException"/> whose message names the rule that failed.
/// </remarks>
public static class Bech32
{
    /// <summary>BIP-173's limit on the whole string; npub and nsec are 63 characters.</summary>
    public const int MaxLength = 90;

    private const string Charset = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";
    private const uint Bech32Constant = 1;
    private const uint Bech32mConstant = 0x2bc830a3;
    private static readonly uint[] s_generator = [0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3];

    public static string Encode(string hrp, ReadOnlySpan<byte> data)
    {
        ArgumentException.ThrowIfNullOrEmpty(hrp);
        if (hrp.Any(c => c < 33 || c > 126 || char.IsAsciiLetterUpper(c)))
        {
            throw new ArgumentException("The human-readable part must be lowercase printable ASCII.", nameof(hrp));
        }

        var values = ConvertBits(data, 8, 5, pad: true);
        var checksum = Checksum(hrp, values);
        var text = new char[hrp.Length + 1 + values.Length + checksum.Length];
        hrp.CopyTo(text);
        text[hrp.Length] = '1';
        var i = hrp.Length + 1;
        foreach (var v in values.Concat(checksum))
        {
            text[i++] = Charset[v];
        }

        if (text.Length > MaxLength)
        {
            throw new ArgumentException($"The bech32 string would be {text.Length} characters, over BIP-173's {MaxLength}.", nameof(data));
        }

        return new string(text);
    }

    /// <summary>Decodes a bech32 string of at most <see cref="MaxLength"/> characters.</summary>
    /// <exception cref="FormatException">The text is not valid bech32; the message says why.</exception>
    public static (string Hrp, byte[] Data) Decode(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (text.Length > MaxLength)
        {
            throw new FormatException($"Bech32 string is {text.Length} characters long; at most {MaxLength} are allowed.");
        }

        if (text.Any(c => c < 33 || c > 126))
        {
            throw new FormatException("Bech32 string contains a character outside printable ASCII.");
        }

        if (text.Any(char.IsAsciiLetterUpper) && text.Any(char.IsAsciiLetterLower))
        {
            throw new FormatException("Bech32 string mixes upper and lower case.");
        }

        var lower = text.ToLowerInvariant();
        var separator = lower.LastIndexOf('1');
        if (separator < 1)
        {
            throw new FormatException("Bech32 string has no human-readable part before the separator '1'.");
        }

        if (lower.Length - separator - 1 < 6)
        {
            throw new FormatException("Bech32 string is too short: the checksum needs 6 characters after the separator '1'.");
        }

        var hrp = lower[..separator];
        var values = new byte[lower.Length - separator - 1];
        for (var i = 0; i < values.Length; i++)
        {
            var index = Charset.IndexOf(lower[separator + 1 + i], StringComparison.Ordinal);
            if (index < 0)
            {
                throw new FormatException($"Bech32 string contains '{lower[separator + 1 + i]}', which is not in the bech32 alphabet.");
            }

            values[i] = (byte)index;
        }

        var polymod = Polymod(HrpExpand(hrp).Concat(values));
        if (polymod == Bech32mConstant)
        {
            throw new FormatException("Bech32 checksum is bech32m (BIP-350); NIP-19 uses bech32 (BIP-173).");
        }

        if (polymod != Bech32Constant)
        {
            throw new FormatException("Bech32 checksum does not match: the text was mistyped or altered.");
        }

        return (hrp, ConvertBits(values.AsSpan(0, values.Length - 6), 5, 8, pad: false));
    }

    private static byte[] Checksum(string hrp, byte[] values)
    {
        var polymod = Polymod(HrpExpand(hrp).Concat(values).Concat(new byte[6])) ^ Bech32Constant;
        var checksum = new byte[6];
        for (var i = 0; i < 6; i++)
        {
            checksum[i] = (byte)((polymod >> (5 * (5 - i))) & 31);
        }

        return checksum;
    }

    private static uint Polymod(IEnumerable<byte> values)
    {
        uint chk = 1;
        foreach (var v in values)
        {
            var top = chk >> 25;
            chk = ((chk & 0x1ffffff) << 5) ^ v;
            for (var i = 0; i < 5; i++)
            {
                if (((top >> i) & 1) != 0)
                {
                    chk ^= s_generator[i];
                }
            }
        }

        return chk;
    }

    private static byte[] HrpExpand(string hrp) =>
        [.. hrp.Select(c => (byte)(c >> 5)), 0, .. hrp.Select(c => (byte)(c & 31))];

    private static byte[] ConvertBits(ReadOnlySpan<byte> data, int fromBits, int toBits, bool pad)
    {
        var acc = 0;
        var bits = 0;
        var maxValue = (1 << toBits) - 1;
        var maxAccumulator = (1 << (fromBits + toBits - 1)) - 1;
        var result = new List<byte>(data.Length * fromBits / toBits + 1);
        foreach (var value in data)
        {
            acc = ((acc << fromBits) | value) & maxAccumulator;
            bits += fromBits;
            while (bits >= toBits)
            {
                bits -= toBits;
                result.Add((byte)((acc >> bits) & maxValue));
            }
        }

        if (pad)
        {
            if (bits > 0)
            {
                result.Add((byte)((acc << (toBits - bits)) & maxValue));
            }
        }
        else if (bits >= fromBits)
        {
            throw new FormatException("Bech32 data has a whole unused 5-bit group of padding: wrong length.");
        }
        else if (((acc << (toBits - bits)) & maxValue) != 0)
        {
            throw new FormatException("Bech32 data has non-zero padding bits.");
        }

        return [.. result];
    }
}
