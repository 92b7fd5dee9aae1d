namespace MeshLlm.Discovery.Nostr;

public sealed class Bech32Tests
{
    // NIP-19's own examples.
    private const string Nip19PubHex = "7e7e9c42a91bfef19fa929e5fda1b72e0ebc1a4c1141673e2794234d86addf4e";
    private const string Nip19Npub = "npub10elfcs4fr0l0r8af98jlmgdh9c8tcxjvz9qkw038js35mp4dma8qzvjptg";
    private const string Nip19SecHex = "67dea2ed018072d675f5415ecfaed7d2597555e202d85b3d65ea4e58d2d92ffa";
    private const string Nip19Nsec = "nsec1vl029mgpspedva04g90vltkh6fvh240zqtv9k0t9af8935ke9laqsnlfe5";

    [Fact]
    public void Encode_Nip19Examples_MatchTheSpec()
    {
        Assert.Equal(Nip19Npub, Bech32.Encode("npub", Convert.FromHexString(Nip19PubHex)));
        Assert.Equal(Nip19Nsec, Bech32.Encode("nsec", Convert.FromHexString(Nip19SecHex)));
    }

    [Theory]
    [InlineData(Nip19Npub, "npub", Nip19PubHex)]
    [InlineData(Nip19Nsec, "nsec", Nip19SecHex)]
    public void Decode_Nip19Examples_RoundTrip(string text, string hrp, string hex)
    {
        var (decodedHrp, data) = Bech32.Decode(text);

        Assert.Equal(hrp, decodedHrp);
        Assert.Equal(hex, Convert.ToHexStringLower(data));
    }

    [Fact]
    public void Decode_AllUppercase_Accepted()
    {
        var (hrp, data) = Bech32.Decode(Nip19Npub.ToUpperInvariant());

        Assert.Equal("npub", hrp);
        Assert.Equal(Nip19PubHex, Convert.ToHexStringLower(data));
    }

    [Theory]
    // BIP-173's valid bech32 strings whose data is whole bytes.
    [InlineData("A12UEL5L", "a", "")]
    [InlineData("a12uel5l", "a", "")]
    [InlineData("abcdef1qpzry9x8gf2tvdw0s3jn54khce6mua7lmqqqxw", "abcdef", "00443214c74254b635cf84653a56d7c675be77df")]
    public void Decode_Bip173Vectors_Valid(string text, string hrp, string hex)
    {
        var (decodedHrp, data) = Bech32.Decode(text);

        Assert.Equal(hrp, decodedHrp);
        Assert.Equal(hex, Convert.ToHexStringLower(data));
    }

    [Theory]
    [InlineData("npub10elfcs4fr0l0r8af98jlmgdh9c8tcxjvz9qkw038js35mp4dma8qzvjpth", "checksum does not match")]
    [InlineData("npub10elfcs4fr0l0r8af98jlmgdh9c8tcxjvz9qkw038js35mp4dma8qzvjpTG", "mixes upper and lower case")]
    [InlineData("npub10elfcs4fr0l0r8af98jlmgdh9c8tcxjvz9qkw038js35mp4dma8qzvjpbg", "not in the bech32 alphabet")]
    [InlineData("npub10elfcs4fr0l0r8af98jlmgdh9c8tcxjvz9qkw038js35mp4dma8qzvjp g", "outside printable ASCII")]
    [InlineData("pzry9x0s0muk", "no human-readable part")]
    [InlineData("1pzry9x0s0muk", "no human-readable part")]
    [InlineData("li1dgmt3", "too short")]
    [InlineData("x1b4n0q5v", "not in the bech32 alphabet")]
    [InlineData("A1G7SGD8", "checksum does not match")]
    [InlineData("an84characterslonghumanreadablepartthatcontainsthenumber1andtheexcludedcharactersbio1569pvx", "at most 90")]
    public void Decode_Malformed_ThrowsFormatExceptionSayingWhy(string text, string reason)
    {
        var error = Assert.Throws<FormatException>(() => Bech32.Decode(text));

        Assert.Contains(reason, error.Message);
    }

    [Fact]
    public void Decode_Bech32mChecksum_RefusedAsBech32m()
    {
        // BIP-350's valid bech32m example: a right checksum of the wrong variant.
        var error = Assert.Throws<FormatException>(() => Bech32.Decode("a1lqfn3a"));

        Assert.Contains("bech32m", error.Message);
    }

    [Fact]
    public void Decode_NonZeroPadding_Refused()
    {
        // One byte is 8 bits = two 5-bit groups with 2 padding bits; set a padding bit and re-checksum.
        var valid = Bech32.Encode("x", [0xff]);
        var values = valid[2..^6];
        var tampered = BuildWithChecksum("x", values[0] + "l");

        Assert.Contains("non-zero padding", Assert.Throws<FormatException>(() => Bech32.Decode(tampered)).Message);
    }

    [Fact]
    public void Decode_WholeGroupOfPadding_RefusedAsWrongLength()
    {
        // Three 5-bit groups hold one byte plus 7 bits: a whole extra group of padding.
        var tampered = BuildWithChecksum("x", "lqq");

        Assert.Contains("wrong length", Assert.Throws<FormatException>(() => Bech32.Decode(tampered)).Message);
    }

    [Fact]
    public void Encode_UppercaseHrp_Refused() =>
        Assert.Throws<ArgumentException>(() => Bech32.Encode("NPUB", new byte[32]));

    /// <summary>Appends a valid checksum (BIP-173's reference algorithm) to arbitrary data characters, so the data is the only fault.</summary>
    private static string BuildWithChecksum(string hrp, string dataChars)
    {
        const string charset = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";
        uint[] generator = [0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3];
        var values = hrp.Select(c => (uint)(c >> 5)).Append(0u).Concat(hrp.Select(c => (uint)(c & 31)))
            .Concat(dataChars.Select(c => (uint)charset.IndexOf(c, StringComparison.Ordinal)))
            .Concat(Enumerable.Repeat(0u, 6));
        uint chk = 1;
        foreach (var v in values)
        {
            var top = chk >> 25;
            chk = ((chk & 0x1ffffff) << 5) ^ v;
            for (var i = 0; i < 5; i++)
            {
                chk ^= ((top >> i) & 1) != 0 ? generator[i] : 0;
            }
        }

        chk ^= 1;
        var checksum = new string([.. Enumerable.Range(0, 6).Select(i => charset[(int)((chk >> (5 * (5 - i))) & 31)])]);
        return hrp + "1" + dataChars + checksum;
    }
}
