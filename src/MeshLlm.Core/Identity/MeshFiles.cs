using System.Text;

namespace MeshLlm.Identity;

/// <summary>
/// The mesh files in <c>$MESH_LLM_HOME</c> (DESIGN.md §5): <c>mesh-id</c> (the unnamed mesh this node
/// originates), <c>mesh-secret</c> (its join secret, mode 0600) and <c>last-mesh</c> (the mesh last created or
/// joined). Every write goes to a temporary file first and is then moved into place, so a crash never leaves a
/// half-written file, and an existing secret is never replaced.
/// </summary>
public static class MeshFiles
{
    public const string MeshIdFileName = "mesh-id";
    public const string SecretFileName = "mesh-secret";
    public const string LastMeshFileName = "last-mesh";

    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    /// <summary>
    /// The mesh id this node starts: <see cref="MeshId.ForName"/> for a named mesh (<c>--mesh-name</c>), else the
    /// one kept in <c>mesh-id</c>, created when missing, empty or malformed (a malformed file is kept as
    /// <c>mesh-id.invalid</c>).
    /// </summary>
    public static MeshId LoadOrCreateMeshId(string home, string? meshName)
    {
        if (!string.IsNullOrWhiteSpace(meshName))
        {
            return MeshId.ForName(meshName.Trim(), null);
        }

        var path = Path.Combine(home, MeshIdFileName);
        var text = File.Exists(path) ? File.ReadAllText(path).Trim() : "";
        if (MeshId.TryParse(text, out var existing))
        {
            return existing;
        }

        Directory.CreateDirectory(home);
        if (text.Length > 0)
        {
            File.Move(path, path + ".invalid", overwrite: true);
        }

        var created = MeshId.NewRandom();
        return Publish(path, created.Value + "\n", mode: null, replace: File.Exists(path)) is { } raced && MeshId.TryParse(raced.Trim(), out var theirs) ? theirs : created;
    }

    /// <summary>The join secret of the mesh this node originates, from <c>mesh-secret</c> (created, 0600, when missing or empty).</summary>
    /// <exception cref="IdentityException">The file is a symbolic link, readable by others, or not a usable secret.</exception>
    public static string LoadOrCreateSecret(string home)
    {
        var path = Path.Combine(home, SecretFileName);
        var info = new FileInfo(path);
        if (info.LinkTarget is not null)
        {
            throw new IdentityException($"The join secret file {path} is a symbolic link; mesh-llm refuses it. Replace it with the file itself.");
        }

        var text = info.Exists ? ReadSecret(path) : "";
        if (text.Length > 0)
        {
            return text;
        }

        Directory.CreateDirectory(home);
        var created = InviteToken.NewSecret();
        var raced = Publish(path, created + "\n", OwnerOnly, replace: info.Exists);
        return raced is null ? created : ReadSecret(path);
    }

    /// <summary>Records <paramref name="mesh"/> in <c>last-mesh</c> (id and a newline).</summary>
    public static void WriteLastMesh(string home, MeshId mesh)
    {
        Directory.CreateDirectory(home);
        Publish(Path.Combine(home, LastMeshFileName), mesh.Value + "\n", mode: null, replace: true);
    }

    /// <summary>The mesh last created or joined, or null when <c>last-mesh</c> is missing or malformed.</summary>
    public static MeshId? ReadLastMesh(string home)
    {
        var path = Path.Combine(home, LastMeshFileName);
        return File.Exists(path) && MeshId.TryParse(File.ReadAllText(path).Trim(), out var mesh) ? mesh : null;
    }

    private static string ReadSecret(string path)
    {
        if (!OperatingSystem.IsWindows() && (File.GetUnixFileMode(path) & (UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.OtherRead | UnixFileMode.OtherWrite)) != 0)
        {
            throw new IdentityException($"The join secret file {path} is readable or writable by other users; run: chmod 600 {path}");
        }

        var text = File.ReadAllText(path).Trim();
        if (text.Length > 0 && (text.Length < InviteToken.MinSecretLength || text.Any(char.IsWhiteSpace)))
        {
            throw new IdentityException(
                $"The join secret file {path} does not hold a usable secret (one word of at least {InviteToken.MinSecretLength} characters). Fix it, or delete it to get a new one (tokens made with the old secret stop working).");
        }

        return text;
    }

    /// <summary>
    /// Writes <paramref name="content"/> to a temporary file and moves it to <paramref name="path"/>. Without
    /// <paramref name="replace"/> an existing file wins (another process made it meanwhile) and its content is
    /// returned; otherwise returns null.
    /// </summary>
    private static string? Publish(string path, string content, UnixFileMode? mode, bool replace = false)
    {
        var temporary = $"{path}.{Environment.ProcessId}.tmp";
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (mode is { } m && !OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = m;
        }

        File.Delete(temporary);
        using (var stream = new FileStream(temporary, options))
        {
            stream.Write(Encoding.UTF8.GetBytes(content));
            stream.Flush(flushToDisk: true);
        }

        try
        {
            File.Move(temporary, path, overwrite: replace);
            return null;
        }
        catch (IOException) when (!replace && File.Exists(path))
        {
            File.Delete(temporary);
            return File.ReadAllText(path);
        }
    }
}
