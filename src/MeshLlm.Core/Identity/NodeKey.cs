using System.Security.Cryptography;

namespace MeshLlm.Identity;

/// <summary>
/// The node's ECDSA P-256 key (usable as a TLS certificate key), kept as PEM in <c>$MESH_LLM_HOME/key</c>
/// with mode 0600. A key file that is a symbolic link or readable by others is refused, never "fixed".
/// </summary>
public sealed class NodeKey : IDisposable
{
    public const string FileName = "key";

    private NodeKey(ECDsa key, string? path)
    {
        Key = key;
        Path = path;
        Id = NodeId.FromPublicKey(key);
    }

    public ECDsa Key { get; }

    public NodeId Id { get; }

    /// <summary>The key file, or null for an ephemeral key.</summary>
    public string? Path { get; }

    /// <summary>A fresh key that is never written anywhere (<c>--client</c>, <c>MESH_LLM_EPHEMERAL_KEY</c>).</summary>
    public static NodeKey Ephemeral() => new(ECDsa.Create(ECCurve.NamedCurves.nistP256), null);

    /// <summary>Loads <c>home/key</c>, or creates it (0600) when absent.</summary>
    /// <exception cref="IdentityException">The file exists but is unsafe or not a P-256 private key.</exception>
    public static NodeKey LoadOrCreate(string home)
    {
        var path = System.IO.Path.Combine(home, FileName);
        var info = new FileInfo(path);
        if (info.LinkTarget is not null)
        {
            throw new IdentityException($"The node key {path} is a symbolic link; mesh-llm refuses it. Replace it with the key file itself.");
        }

        return info.Exists ? Load(path) : Create(home, path);
    }

    private static NodeKey Load(string path)
    {
        if (!OperatingSystem.IsWindows()
            && (File.GetUnixFileMode(path) & (UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.OtherRead | UnixFileMode.OtherWrite)) != 0)
        {
            throw new IdentityException($"The node key {path} is readable or writable by other users; run: chmod 600 {path}");
        }

        var key = ECDsa.Create();
        try
        {
            key.ImportFromPem(File.ReadAllText(path));
        }
        catch (Exception e) when (e is ArgumentException or CryptographicException)
        {
            key.Dispose();
            throw new IdentityException($"The node key {path} is not a PEM private key ({e.Message}). Move it away to get a new identity.", e);
        }

        if (key.KeySize != 256 || key.ExportParameters(false).Curve.Oid.Value != ECCurve.NamedCurves.nistP256.Oid.Value)
        {
            key.Dispose();
            throw new IdentityException($"The node key {path} is not an ECDSA P-256 key. Move it away to get a new identity.");
        }

        return new NodeKey(key, path);
    }

    private static NodeKey Create(string home, string path)
    {
        Directory.CreateDirectory(home);
        var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        // Never overwrite: if another process created the key meanwhile, use theirs.
        if (!PrivateFile.TryCreate(path, key.ExportPkcs8PrivateKeyPem()))
        {
            key.Dispose();
            return Load(path);
        }

        return new NodeKey(key, path);
    }

    public void Dispose() => Key.Dispose();
}
