namespace MeshLlm.Inference.LlamaCpp;

/// <summary>Where llama.cpp's binaries are: <c>llama-server</c> and, when present, the RPC server.</summary>
public sealed record LlamaCppBinaries(string LlamaServer, string? RpcServer)
{
    private static readonly string[] s_rpcNames = ["rpc-server", "ggml-rpc-server"];

    /// <summary>
    /// Searches, in order: <paramref name="binDir"/> (<c>--bin-dir</c>), <c>MESH_LLM_BIN_DIR</c>, the folder of this
    /// executable, then <c>PATH</c>; the RPC server also under Debian's <c>/usr/libexec/*/llama/bin/</c>.
    /// </summary>
    public static LlamaCppBinaries? Find(string? binDir)
    {
        var folders = SearchFolders(binDir).ToList();
        var server = folders.Select(f => Path.Combine(f, "llama-server")).FirstOrDefault(IsExecutable);
        if (server is null)
        {
            return null;
        }

        var rpc = folders.Prepend(Path.GetDirectoryName(server)!)
            .SelectMany(f => s_rpcNames.Select(n => Path.Combine(f, n)))
            .Concat(DebianRpcServers())
            .FirstOrDefault(IsExecutable);
        return new LlamaCppBinaries(server, rpc);
    }

    /// <summary>The folders searched, for error messages.</summary>
    public static IEnumerable<string> SearchFolders(string? binDir)
    {
        if (!string.IsNullOrWhiteSpace(binDir))
        {
            yield return Path.GetFullPath(binDir);
        }

        if (Environment.GetEnvironmentVariable("MESH_LLM_BIN_DIR") is { Length: > 0 } fromEnvironment)
        {
            yield return Path.GetFullPath(fromEnvironment);
        }

        yield return AppContext.BaseDirectory;
        foreach (var folder in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            yield return folder;
        }
    }

    private static IEnumerable<string> DebianRpcServers() =>
        Directory.Exists("/usr/libexec")
            ? Directory.EnumerateDirectories("/usr/libexec").Select(d => Path.Combine(d, "llama", "bin", "ggml-rpc-server"))
            : [];

    private static bool IsExecutable(string path) =>
        File.Exists(path) && !OperatingSystem.IsWindows() && (File.GetUnixFileMode(path) & (UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute)) != 0;
}
