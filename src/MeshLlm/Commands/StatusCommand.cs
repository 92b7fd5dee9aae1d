using System.CommandLine;
using MeshLlm.Hosting;

namespace MeshLlm.Commands;

/// <summary><c>mesh-llm status</c>: shows the running node, its mesh and its peers.</summary>
internal static class StatusCommand
{
    private static readonly Option<bool> s_json = new("--json") { Description = "Print the raw JSON of GET /api/status." };

    private static readonly Option<int?> s_consolePort = ConsolePortOption.Create();

    public static Command Create()
    {
        var command = new Command("status", "Show the node running on this machine: its id, mesh, and peers with their role, state, RTT and model.");
        command.Options.Add(s_json);
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
            var (json, status) = await ConsoleStatusClient.FetchAsync(port, cancellationToken);
            if (result.GetValue(s_json))
            {
                ui.Info(json);
            }
            else
            {
                foreach (var line in StatusTable.Format(status))
                {
                    ui.Info(line);
                }
            }

            return ExitCodes.Ok;
        }
        catch (CommandException e)
        {
            ui.Error(e.Message);
            return e.ExitCode;
        }
    }
}
