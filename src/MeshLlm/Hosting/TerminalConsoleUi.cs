using MeshLlm.Console;

namespace MeshLlm.Hosting;

/// <summary>Writes user-facing lines: status to stdout, errors to stderr.</summary>
internal sealed class TerminalConsoleUi : IConsoleUi
{
#pragma warning disable RS0030 // This is the one place allowed to write to the console.
    public void Info(string message) => System.Console.Out.WriteLine(message);

    public void Warn(string message) => System.Console.Error.WriteLine("warning: " + message);

    public void Error(string message) => System.Console.Error.WriteLine("error: " + message);
#pragma warning restore RS0030
}
