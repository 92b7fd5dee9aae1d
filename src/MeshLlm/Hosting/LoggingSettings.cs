using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace MeshLlm.Hosting;

/// <summary>Log level and format chosen on the command line.</summary>
internal sealed record LoggingSettings(string Level, string Format)
{
    public LogLevel MinimumLevel => Level switch
    {
        "trace" => LogLevel.Trace,
        "debug" => LogLevel.Debug,
        "warning" => LogLevel.Warning,
        "error" => LogLevel.Error,
        _ => LogLevel.Information,
    };

    public void Apply(ILoggingBuilder logging)
    {
        logging.ClearProviders();
        logging.SetMinimumLevel(MinimumLevel);
        var quiet = MinimumLevel > LogLevel.Warning ? MinimumLevel : LogLevel.Warning;
        logging.AddFilter("Microsoft", quiet);
        logging.AddFilter("Yarp", quiet);
        if (Format == "json")
        {
            logging.AddJsonConsole(o =>
            {
                o.IncludeScopes = true;
                o.TimestampFormat = "O";
                o.UseUtcTimestamp = true;
            });
        }
        else
        {
            logging.AddSimpleConsole(o =>
            {
                o.SingleLine = true;
                o.TimestampFormat = "HH:mm:ss ";
            });
        }

        // Logs go to stderr; stdout is for what the user reads (IConsoleUi).
        logging.Services.Configure<Microsoft.Extensions.Logging.Console.ConsoleLoggerOptions>(
            o => o.LogToStandardErrorThreshold = LogLevel.Trace);
    }
}
