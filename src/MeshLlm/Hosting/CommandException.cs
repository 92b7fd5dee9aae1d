namespace MeshLlm.Hosting;

/// <summary>A failure the user can act on (a wrong option, an unusable file, no node running): one line and the exit code to return.</summary>
internal sealed class CommandException(string message, int exitCode) : Exception(message)
{
    public int ExitCode { get; } = exitCode;
}
