namespace MeshLlm.EndToEnd.LlamaCpp;

/// <summary>
/// Bin folders whose llama-server misbehaves on purpose, around the rig's real binaries: it answers
/// <c>--help</c> and <c>--version</c> like the real one (optionally hiding a flag) and can crash when asked to serve.
/// </summary>
internal static class FakeBinaries
{
    public static string Create(string rigBin, bool crashOnServe = false, string? hideFlag = null)
    {
        var dir = Directory.CreateTempSubdirectory("mesh-llm-fake-bin-").FullName;
        var real = Path.Combine(rigBin, "llama-server");
        var help = hideFlag is null ? $"exec \"{real}\" --help" : $"\"{real}\" --help 2>&1 | grep -v -- '{hideFlag}'; exit 0";
        var serve = crashOnServe ? "kill -SEGV $$" : $"exec \"{real}\" \"$@\"";
        var script = $"""
            #!/bin/sh
            case "$1" in
              --help) {help} ;;
              --version) exec "{real}" --version ;;
              *) {serve} ;;
            esac
            """;
        Write(Path.Combine(dir, "llama-server"), script);
        Write(Path.Combine(dir, "rpc-server"), $"#!/bin/sh\nexec \"{Path.Combine(rigBin, "rpc-server")}\" \"$@\"\n");
        return dir;
    }

    private static void Write(string path, string script)
    {
        File.WriteAllText(path, script.ReplaceLineEndings("\n") + "\n");
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
    }
}
