using System.CommandLine;

namespace MeshLlm.Commands;

/// <summary>The <c>--console-port</c> option shared by the commands that ask a running node.</summary>
internal static class ConsolePortOption
{
    public static Option<int?> Create()
    {
        var option = new Option<int?>("--console-port")
        {
            Description = "Console port of the running node [default: Console:Port from the configuration, else 3131].",
            HelpName = "N",
        };
        option.Validators.Add(r =>
        {
            if (r.GetValue(option) is < 1 or > 65535)
            {
                r.AddError("--console-port must be between 1 and 65535.");
            }
        });
        return option;
    }
}
