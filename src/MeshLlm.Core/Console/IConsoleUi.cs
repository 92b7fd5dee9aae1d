namespace MeshLlm.Console;

/// <summary>What the user reads on the terminal, kept apart from logs (which go to stderr).</summary>
public interface IConsoleUi
{
    /// <summary>A status line for the user (stdout).</summary>
    void Info(string message);

    /// <summary>One line saying what is degraded but continuing, and what to check (stderr).</summary>
    void Warn(string message);

    /// <summary>One line saying what failed and what to do (stderr).</summary>
    void Error(string message);
}
