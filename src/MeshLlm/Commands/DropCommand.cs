using System.CommandLine;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json;
using MeshLlm.Hosting;

namespace MeshLlm.Commands;

/// <summary><c>mesh-llm drop MODEL</c>: the running node stops serving MODEL and leaves it to the rest of the mesh.</summary>
internal static class DropCommand
{
    private static readonly Argument<string> s_model = new("MODEL") { Description = "The model this node should stop serving (its name in the API)." };

    private static readonly Option<int?> s_port = new("--port")
    {
        Description = "API port of the running node on 127.0.0.1 [default: 9337].",
        HelpName = "N",
    };

    public static Command Create()
    {
        var command = new Command("drop", "Stop serving MODEL on the node running on this machine; it stays in the mesh, and requests go to other nodes that serve MODEL.");
        command.Arguments.Add(s_model);
        command.Options.Add(s_port);
        command.SetAction((result, ct) => RunAsync(result, ct));
        return command;
    }

    private static async Task<int> RunAsync(ParseResult result, CancellationToken cancellationToken)
    {
        var ui = new TerminalConsoleUi();
        var model = result.GetValue(s_model)!;
        var port = result.GetValue(s_port) ?? 9337;
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        try
        {
            using var response = await http.PostAsJsonAsync(new Uri($"http://127.0.0.1:{port}/mesh/drop"), new Dictionary<string, string> { ["model"] = model }, cancellationToken);
            var body = await response.Content.ReadAsStringAsync(cancellationToken);
            if (!response.IsSuccessStatusCode)
            {
                ui.Error(ErrorMessage(body) ?? $"The node on 127.0.0.1:{port} answered {(int)response.StatusCode}.");
                return ExitCodes.Usage;
            }

            ui.Info($"Dropped {model}: this node no longer serves it; the mesh sends its requests to other nodes that do.");
            return ExitCodes.Ok;
        }
        catch (HttpRequestException e) when (e.InnerException is SocketException)
        {
            ui.Error($"No mesh-llm node is running on 127.0.0.1:{port} (start one, or pass --port).");
            return ExitCodes.NodeNotRunning;
        }
    }

    private static string? ErrorMessage(string body)
    {
        try
        {
            using var json = JsonDocument.Parse(body);
            return json.RootElement.GetProperty("error").GetProperty("message").GetString();
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            return null;
        }
    }
}
