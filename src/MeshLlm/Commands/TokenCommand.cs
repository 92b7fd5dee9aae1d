using System.CommandLine;
using MeshLlm.Hosting;

namespace MeshLlm.Commands;

/// <summary><c>mesh-llm token</c>: prints the running node's invite token.</summary>
internal static class TokenCommand
{
    private static readonly Option<int?> s_consolePort = ConsolePortOption.Create();

    public static Command Create()
    {
        var command = new Command("token", "Print the invite token of the node running on this machine (others join with: mesh-llm --join TOKEN).");
        command.Options.Add(s_consolePort);
        command.SetAction((result, ct) => RunAsync(result, ct));
        return command;
    }

    private static async Task<int> RunAsync(ParseResult result, CancellationToken cancellationToken)
    {
        var ui = new TerminalConsoleUi();
        var port = result.GetValue(s_consolePort) ?? ConsoleStatusClient.DefaultPort();
        try
        {
            var (_, status) = await ConsoleStatusClient.FetchAsync(port, cancellationToken);
            if (status.Token is null)
            {
                ui.Error(status.Client
                    ? $"The node on 127.0.0.1:{port} is a passive client (--client); nobody can join through it. Ask a serving node for its token."
                    : $"The node on 127.0.0.1:{port} has not started its mesh yet; try again in a moment.");
                return ExitCodes.NodeNotRunning;
            }

            ui.Info(status.Token);
            return ExitCodes.Ok;
        }
        catch (CommandException e)
        {
            ui.Error(e.Message);
            return e.ExitCode;
        }
    }
}
