using MeshLlm.Console;

namespace MeshLlm.Hosting;

/// <summary>Writes user-facing lines: status to stdout, errors to stderr.</summary>
internal sealed class TerminalConsoleUi : IConsoleUi
{
#pragma warning disable RS0030 // This is the one place allowed to write to the console.
    public void Info(string message) => System.Console.Out.WriteLine(message);

    public void Warn(string message) => System.Console.Error.WriteLine("warning: " + message);

    public void Error(string message) => System.Console.Error.WriteLine("error: " + message);

    /// <summary>True when stderr is a terminal: progress redraws one line there, and prints plain lines otherwise.</summary>
    public static bool IsTerminal => !System.Console.IsErrorRedirected;

    /// <summary>A progress line on stderr: redrawn in place on a terminal (<paramref name="final"/> ends it), a plain line otherwise.</summary>
    public static void Progress(string line, bool final)
    {
        if (IsTerminal)
        {
            System.Console.Error.Write("\r\u001b[2K" + line + (final ? "\n" : ""));
        }
        else
        {
            System.Console.Error.WriteLine(line);
        }
    }
#pragma warning restore RS0030
}
