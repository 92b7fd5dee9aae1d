using System.Net.Sockets;
using System.Text.Json;
using MeshLlm.Console;
using MeshLlm.Hosting;
using Microsoft.Extensions.Configuration;

namespace MeshLlm.Commands;

/// <summary>Reads a running node's <c>GET /api/status</c> from its console on 127.0.0.1, for <c>status</c> and <c>token</c>.</summary>
internal static class ConsoleStatusClient
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(5);

    /// <summary>The console port to ask when <c>--console-port</c> is not given: <c>Console:Port</c> from config.json or the environment, else 3131.</summary>
    public static int DefaultPort()
    {
        var configuration = ServeHost.AddSources(new ConfigurationBuilder(), new Dictionary<string, string?>()).Build();
        return configuration.GetSection(ConsoleOptions.Section).Get<ConsoleOptions>()?.Port is { } port and > 0 ? port : ConsoleOptions.DefaultPort;
    }

    /// <summary>Fetches the status; returns the raw JSON and the parsed document.</summary>
    /// <exception cref="CommandException">Nothing answers on the port, or what answers is not a mesh-llm console.</exception>
    public static async Task<(string Json, StatusDocument Document)> FetchAsync(int port, CancellationToken cancellationToken)
    {
        using var http = new HttpClient { Timeout = s_timeout };
        string json;
        try
        {
            using var response = await http.GetAsync(new Uri($"http://127.0.0.1:{port}/api/status"), cancellationToken);
            json = await response.Content.ReadAsStringAsync(cancellationToken);
            if (!response.IsSuccessStatusCode)
            {
                throw NotAConsole(port, $"it answered {(int)response.StatusCode}");
            }
        }
        catch (HttpRequestException e) when (e.InnerException is SocketException)
        {
            throw new CommandException($"No mesh-llm node is running on 127.0.0.1:{port} (start one, or pass --console-port).", ExitCodes.NodeNotRunning);
        }
        catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new CommandException($"The program on 127.0.0.1:{port} did not answer within {s_timeout.TotalSeconds:0} s; is it a mesh-llm node? (pass --console-port for another port)", ExitCodes.NodeNotRunning);
        }

        try
        {
            var document = JsonSerializer.Deserialize(json, ConsoleJsonContext.Default.StatusDocument);
            return document is null ? throw NotAConsole(port, "it answered null") : (json, document);
        }
        catch (JsonException e)
        {
            throw NotAConsole(port, e.Message);
        }
    }

    private static CommandException NotAConsole(int port, string detail) =>
        new($"The program on 127.0.0.1:{port} is not a mesh-llm console ({detail}); pass --console-port with the node's console port.", ExitCodes.NodeNotRunning);
}
