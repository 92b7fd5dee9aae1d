using System.CommandLine;
using MeshLlm.Commands;

namespace MeshLlm;

internal static class Program
{
    private static async Task<int> Main(string[] args)
    {
        var root = ServeCommand.Create();
        root.Subcommands.Add(MakeTestModelCommand.Create());
        var configuration = new InvocationConfiguration
        {
            // The host's console lifetime handles Ctrl-C and SIGTERM so shutdown drains requests.
            ProcessTerminationTimeout = null,
        };
        return await root.Parse(args).InvokeAsync(configuration);
    }
}
