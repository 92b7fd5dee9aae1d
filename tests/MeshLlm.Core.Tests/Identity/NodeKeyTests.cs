using System.Security.Cryptography;

namespace MeshLlm.Identity;

public sealed class NodeKeyTests
{
    private static string Home() => Directory.CreateTempSubdirectory("mesh-llm-identity-").FullName;

    [Fact]
    public void LoadOrCreate_NoFile_CreatesOwnerOnlyPemKey()
    {
        var home = Home();

        using var key = NodeKey.LoadOrCreate(home);

        var path = Path.Combine(home, "key");
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        Assert.StartsWith("-----BEGIN PRIVATE KEY-----", File.ReadAllText(path));
        Assert.Equal(64, key.Id.Hex.Length);
    }

    [Fact]
    public void LoadOrCreate_Twice_SameNodeId()
    {
        var home = Home();

        using var first = NodeKey.LoadOrCreate(home);
        using var second = NodeKey.LoadOrCreate(home);

        Assert.Equal(first.Id, second.Id);
    }

    [Fact]
    public void LoadOrCreate_KeyReadableByOthers_RefusedWithChmodHint()
    {
        var home = Home();
        NodeKey.LoadOrCreate(home).Dispose();
        var path = Path.Combine(home, "key");
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead);
        var before = File.ReadAllText(path);

        var error = Assert.Throws<IdentityException>(() => NodeKey.LoadOrCreate(home));

        Assert.Contains($"chmod 600 {path}", error.Message);
        Assert.Equal(before, File.ReadAllText(path));
    }

    [Fact]
    public void LoadOrCreate_KeyIsSymlink_Refused()
    {
        var home = Home();
        var elsewhere = Home();
        NodeKey.LoadOrCreate(elsewhere).Dispose();
        File.CreateSymbolicLink(Path.Combine(home, "key"), Path.Combine(elsewhere, "key"));

        var error = Assert.Throws<IdentityException>(() => NodeKey.LoadOrCreate(home));

        Assert.Contains("symbolic link", error.Message);
    }

    [Fact]
    public void LoadOrCreate_GarbageFile_RefusedAndKept()
    {
        var home = Home();
        var path = Path.Combine(home, "key");
        File.WriteAllText(path, "not a key");
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);

        var error = Assert.Throws<IdentityException>(() => NodeKey.LoadOrCreate(home));

        Assert.Contains("not a PEM private key", error.Message);
        Assert.Equal("not a key", File.ReadAllText(path));
    }

    [Fact]
    public void LoadOrCreate_OtherCurve_Refused()
    {
        var home = Home();
        var path = Path.Combine(home, "key");
        using (var p384 = ECDsa.Create(ECCurve.NamedCurves.nistP384))
        {
            File.WriteAllText(path, p384.ExportPkcs8PrivateKeyPem());
        }

        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);

        Assert.Contains("not an ECDSA P-256 key", Assert.Throws<IdentityException>(() => NodeKey.LoadOrCreate(home)).Message);
    }

    [Fact]
    public void Ephemeral_EachTimeNewId_NoFile()
    {
        using var a = NodeKey.Ephemeral();
        using var b = NodeKey.Ephemeral();

        Assert.NotEqual(a.Id, b.Id);
        Assert.Null(a.Path);
    }
}
