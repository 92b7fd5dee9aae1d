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
            return await root.Parse(args).InvokeAsync(configuration);
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
