namespace MeshLlm.Identity;

public sealed class MeshFilesTests
{
    private static string Home() => Directory.CreateTempSubdirectory("mesh-llm-identity-").FullName;

    [Fact]
    public void LoadOrCreateMeshId_NoFile_CreatesRandomIdAndKeepsIt()
    {
        var home = Home();

        var first = MeshFiles.LoadOrCreateMeshId(home, null);
        var second = MeshFiles.LoadOrCreateMeshId(home, null);

        Assert.Equal(32, first.Value.Length);
        Assert.Equal(first, second);
        Assert.Equal(first.Value + "\n", File.ReadAllText(Path.Combine(home, "mesh-id")));
        Assert.Empty(Directory.GetFiles(home, "*.tmp"));
    }

    [Fact]
    public void LoadOrCreateMeshId_Named_IsForNameAndWritesNoFile()
    {
        var home = Home();

        var id = MeshFiles.LoadOrCreateMeshId(home, "lab");

        Assert.Equal(MeshId.ForName("lab", null), id);
        Assert.False(File.Exists(Path.Combine(home, "mesh-id")));
    }

    [Fact]
    public void LoadOrCreateMeshId_ExistingFileWithWhitespace_Read()
    {
        var home = Home();
        File.WriteAllText(Path.Combine(home, "mesh-id"), "  0123456789abcdef0123456789abcdef \n");

        Assert.Equal("0123456789abcdef0123456789abcdef", MeshFiles.LoadOrCreateMeshId(home, null).Value);
    }

    [Theory]
    [InlineData("")]
    [InlineData("\n")]
    public void LoadOrCreateMeshId_EmptyFile_Replaced(string content)
    {
        var home = Home();
        var path = Path.Combine(home, "mesh-id");
        File.WriteAllText(path, content);

        var id = MeshFiles.LoadOrCreateMeshId(home, null);

        Assert.Equal(id.Value + "\n", File.ReadAllText(path));
        Assert.False(File.Exists(path + ".invalid"));
    }

    [Fact]
    public void LoadOrCreateMeshId_MalformedFile_KeptAsInvalidAndReplaced()
    {
        var home = Home();
        var path = Path.Combine(home, "mesh-id");
        File.WriteAllText(path, "NOT-A-MESH-ID");

        var id = MeshFiles.LoadOrCreateMeshId(home, null);

        Assert.Equal(id.Value + "\n", File.ReadAllText(path));
        Assert.Equal("NOT-A-MESH-ID", File.ReadAllText(path + ".invalid"));
    }

    [Fact]
    public void LoadOrCreateSecret_NoFile_CreatesOwnerOnlySecretAndKeepsIt()
    {
        var home = Path.Combine(Home(), "not-yet");

        var first = MeshFiles.LoadOrCreateSecret(home);
        var second = MeshFiles.LoadOrCreateSecret(home);

        var path = Path.Combine(home, "mesh-secret");
        Assert.Equal(first, second);
        Assert.True(first.Length >= InviteToken.MinSecretLength);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        Assert.Equal(first + "\n", File.ReadAllText(path));
    }

    [Fact]
    public void LoadOrCreateSecret_EmptyFile_Replaced()
    {
        var home = Home();
        var path = Path.Combine(home, "mesh-secret");
        File.WriteAllText(path, "");
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);

        var secret = MeshFiles.LoadOrCreateSecret(home);

        Assert.Equal(secret + "\n", File.ReadAllText(path));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
    }

    [Fact]
    public void LoadOrCreateSecret_IsSymlink_RefusedAndTargetUntouched()
    {
        var home = Home();
        var elsewhere = Home();
        var target = Path.Combine(elsewhere, "secret");
        File.WriteAllText(target, "");
        File.CreateSymbolicLink(Path.Combine(home, "mesh-secret"), target);

        var error = Assert.Throws<IdentityException>(() => MeshFiles.LoadOrCreateSecret(home));

        Assert.Contains("symbolic link", error.Message);
        Assert.Equal("", File.ReadAllText(target));
    }

    [Fact]
    public void LoadOrCreateSecret_ReadableByOthers_RefusedWithChmodHint()
    {
        var home = Home();
        var path = Path.Combine(home, "mesh-secret");
        File.WriteAllText(path, InviteToken.NewSecret());
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.OtherRead);

        var error = Assert.Throws<IdentityException>(() => MeshFiles.LoadOrCreateSecret(home));

        Assert.Contains($"chmod 600 {path}", error.Message);
    }

    [Fact]
    public void LoadOrCreateSecret_TooShort_RefusedAndKept()
    {
        var home = Home();
        var path = Path.Combine(home, "mesh-secret");
        File.WriteAllText(path, "short");
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);

        var error = Assert.Throws<IdentityException>(() => MeshFiles.LoadOrCreateSecret(home));

        Assert.Contains("does not hold a usable secret", error.Message);
        Assert.Equal("short", File.ReadAllText(path));
    }

    [Fact]
    public void WriteLastMesh_Twice_HoldsTheLatestIdAndNewline()
    {
        var home = Home();
        var first = MeshId.NewRandom();
        var second = MeshId.ForName("lab", null);

        MeshFiles.WriteLastMesh(home, first);
        MeshFiles.WriteLastMesh(home, second);

        Assert.Equal(second.Value + "\n", File.ReadAllText(Path.Combine(home, "last-mesh")));
        Assert.Equal(second, MeshFiles.ReadLastMesh(home));
        Assert.Empty(Directory.GetFiles(home, "*.tmp"));
    }

    [Fact]
    public void ReadLastMesh_MissingOrMalformed_Null()
    {
        var home = Home();
        Assert.Null(MeshFiles.ReadLastMesh(home));

        File.WriteAllText(Path.Combine(home, "last-mesh"), "nonsense\n");

        Assert.Null(MeshFiles.ReadLastMesh(home));
    }
}
