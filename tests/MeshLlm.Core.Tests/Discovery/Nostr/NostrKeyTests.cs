using MeshLlm.Identity;

namespace MeshLlm.Discovery.Nostr;

public sealed class NostrKeyTests
{
    private const string Nip19PubHex = "7e7e9c42a91bfef19fa929e5fda1b72e0ebc1a4c1141673e2794234d86addf4e";
    private const string Nip19Npub = "npub10elfcs4fr0l0r8af98jlmgdh9c8tcxjvz9qkw038js35mp4dma8qzvjptg";
    private const string Nip19SecHex = "67dea2ed018072d675f5415ecfaed7d2597555e202d85b3d65ea4e58d2d92ffa";
    private const string Nip19Nsec = "nsec1vl029mgpspedva04g90vltkh6fvh240zqtv9k0t9af8935ke9laqsnlfe5";

    private static string KeyPath() => Path.Combine(Directory.CreateTempSubdirectory("mesh-llm-nostr-").FullName, NostrKey.FileName);

    [Fact]
    public void Nip19Examples_KeysEncodeAndDecodeAsInTheSpec()
    {
        var key = NostrKey.FromHex(Nip19SecHex);

        Assert.Equal(Nip19Nsec, key.Nsec);
        Assert.Equal(Nip19Npub, NostrKey.NpubFromHex(Nip19PubHex));
        Assert.Equal(Nip19PubHex, NostrKey.HexFromNpub(Nip19Npub));
        Assert.Equal(key.PublicKeyHex, NostrKey.FromNsec(Nip19Nsec).PublicKeyHex);
        Assert.Equal(key.Npub, NostrKey.NpubFromHex(key.PublicKeyHex));
    }

    [Fact]
    public void Bip340Vector1_PublicKeyIsTheXOnlyKey()
    {
        var key = NostrKey.FromHex("B7E151628AED2A6ABF7158809CF4F3C762E7160F38B4DA56A784D9045190CFEF");

        Assert.Equal("dff1d77f2a671c5f36183726db2341be58feae1da2deced843240f7b502ba659", key.PublicKeyHex);
    }

    [Theory]
    [InlineData(Nip19Npub, "type 'npub'")]
    [InlineData("nsec1vl029mgpspedva04g90vltkh6fvh240zqtv9k0t9af8935ke9laqsnlfe4", "checksum")]
    [InlineData("garbage", "no human-readable part")]
    public void FromNsec_NotAnNsec_FormatException(string text, string reason) =>
        Assert.Contains(reason, Assert.Throws<FormatException>(() => NostrKey.FromNsec(text)).Message);

    [Fact]
    public void FromNsec_WrongLengthOrZeroKey_FormatException()
    {
        Assert.Contains("32 bytes", Assert.Throws<FormatException>(() => NostrKey.FromNsec(Bech32.Encode("nsec", new byte[31]))).Message);
        Assert.Contains("not a valid secp256k1 private key", Assert.Throws<FormatException>(() => NostrKey.FromNsec(Bech32.Encode("nsec", new byte[32]))).Message);
    }

    [Fact]
    public void HexFromNpub_NsecOrShortOrOffCurve_FormatException()
    {
        Assert.Throws<FormatException>(() => NostrKey.HexFromNpub(Nip19Nsec));
        Assert.Throws<FormatException>(() => NostrKey.HexFromNpub(Bech32.Encode("npub", new byte[20])));
        // BIP-340 vector 5's public key is not on the curve.
        var offCurve = Convert.FromHexString("EEFDEA4CDB677750A420FEE807EACF21EB9898AE79B9768766E4FAA04A2D4A34");
        Assert.Contains("not a point", Assert.Throws<FormatException>(() => NostrKey.HexFromNpub(Bech32.Encode("npub", offCurve))).Message);
    }

    [Fact]
    public void Generate_EachTimeANewKey()
    {
        var a = NostrKey.Generate();
        var b = NostrKey.Generate();

        Assert.NotEqual(a.PublicKeyHex, b.PublicKeyHex);
        Assert.Equal(a.PublicKeyHex, NostrKey.FromNsec(a.Nsec).PublicKeyHex);
        Assert.Matches("^[0-9a-f]{64}$", a.PublicKeyHex);
    }

    [Fact]
    public void LoadOrCreate_NoFile_CreatesOwnerOnlyNsecFile()
    {
        var path = KeyPath();

        var key = NostrKey.LoadOrCreate(path);

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        Assert.Equal(key.Nsec + "\n", File.ReadAllText(path));
        Assert.False(File.Exists(path + ".new"));
    }

    [Fact]
    public void LoadOrCreate_Twice_SameKey()
    {
        var path = KeyPath();

        var first = NostrKey.LoadOrCreate(path);
        var second = NostrKey.LoadOrCreate(path);

        Assert.Equal(first.PublicKeyHex, second.PublicKeyHex);
    }

    [Fact]
    public void LoadOrCreate_ExistingNsec_Loaded()
    {
        var path = KeyPath();
        File.WriteAllText(path, Nip19Nsec + "\n");
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);

        Assert.Equal(Nip19Npub, NostrKey.LoadOrCreate(path).Npub);
    }

    [Fact]
    public void LoadOrCreate_ReadableByGroup_RefusedWithChmodHint()
    {
        var path = KeyPath();
        NostrKey.LoadOrCreate(path);
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead);
        var before = File.ReadAllText(path);

        var error = Assert.Throws<IdentityException>(() => NostrKey.LoadOrCreate(path));

        Assert.Contains($"chmod 600 {path}", error.Message);
        Assert.DoesNotContain('\n', error.Message);
        Assert.Equal(before, File.ReadAllText(path));
    }

    [Fact]
    public void LoadOrCreate_WritableByOthers_Refused()
    {
        var path = KeyPath();
        NostrKey.LoadOrCreate(path);
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.OtherWrite);

        Assert.Contains("chmod 600", Assert.Throws<IdentityException>(() => NostrKey.LoadOrCreate(path)).Message);
    }

    [Fact]
    public void LoadOrCreate_Symlink_Refused()
    {
        var target = KeyPath();
        NostrKey.LoadOrCreate(target);
        var path = KeyPath();
        File.CreateSymbolicLink(path, target);

        var error = Assert.Throws<IdentityException>(() => NostrKey.LoadOrCreate(path));

        Assert.Contains("symbolic link", error.Message);
    }

    [Theory]
    [InlineData("not a key")]
    [InlineData(Nip19Npub)]
    [InlineData("")]
    public void LoadOrCreate_NotAnNsec_RefusedAndKept(string content)
    {
        var path = KeyPath();
        File.WriteAllText(path, content);
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);

        var error = Assert.Throws<IdentityException>(() => NostrKey.LoadOrCreate(path));

        Assert.Contains("does not hold an nsec", error.Message);
        Assert.Equal(content, File.ReadAllText(path));
    }
}
