using System.CommandLine;
using MeshLlm.Commands;
using MeshLlm.Hosting;

namespace MeshLlm;

internal static class Program
{
    private static async Task<int> Main(string[] args)
    {
        var root = ServeCommand.Create();
        root.Subcommands.Add(TokenCommand.Create());
        root.Subcommands.Add(StatusCommand.Create());
        root.Subcommands.Add(RotateKeyCommand.Create());
        root.Subcommands.Add(DropCommand.Create());
        root.Subcommands.Add(DiscoverCommand.Create());
        root.Subcommands.Add(RecommendCommand.Create());
        root.Subcommands.Add(DownloadCommand.Create());
        root.Subcommands.Add(ModelsCommand.Create());
        root.Subcommands.Add(GpusCommand.Create());
        root.Subcommands.Add(MakeTestModelCommand.Create());
        var configuration = new InvocationConfiguration
        {
            // The host's console lifetime handles Ctrl-C and SIGTERM so shutdown drains requests.
            ProcessTerminationTimeout = null,
            EnableDefaultExceptionHandler = false,
        };
        try
        {
            var parsed = root.Parse(args);
            if (parsed.Errors.Count > 0)
            {
                // A usage mistake gets its one-line reason, not a screen of help.
                var ui = new TerminalConsoleUi();
                var help = $"mesh-llm {(parsed.CommandResult.Command == root ? "" : parsed.CommandResult.Command.Name + " ")}--help";
                foreach (var error in parsed.Errors.Select(e => string.Join(' ', e.Message.Split((char[])['\n', '\r', '\t'], StringSplitOptions.RemoveEmptyEntries))).Distinct())
                {
                    ui.Error($"{error} (see '{help}')");
                }

                return ExitCodes.Usage;
            }

            return await parsed.InvokeAsync(configuration);
        }
        catch (Exception e)
        {
            // A bug, not a user mistake: one line, plus the details a bug report needs.
            new TerminalConsoleUi().Error($"unexpected {e.GetType().Name}: {e.Message} (this is a bug; please report it with the lines below)");
            await System.Console.Error.WriteLineAsync(e.ToString());
            return ExitCodes.Unexpected;
        }
    }
}
