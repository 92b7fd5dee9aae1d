using System.Net;
using System.Text.Json;
using MeshLlm.Console;
using MeshLlm.Discovery;
using MeshLlm.Inference;
using MeshLlm.Planning;
using MeshLlm.Inference.OpenAi;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace MeshLlm.Hosting;

/// <summary>
/// The local console on 127.0.0.1 (<c>--console</c>, default 3131): <c>GET /api/status</c> as JSON, 404 for
/// everything else. A web application of its own, so its port never serves the API and the API never serves it.
/// </summary>
internal sealed partial class ConsoleServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private ConsoleServer(WebApplication app, Uri url)
    {
        _app = app;
        Url = url;
    }

    public Uri Url { get; }

    /// <summary>Starts listening; <paramref name="node"/> is the serving node's container (mesh, serving state, API server).</summary>
    /// <exception cref="IOException">The port is in use.</exception>
    public static async Task<ConsoleServer> StartAsync(IServiceProvider node, int port, CancellationToken cancellationToken)
    {
        var loggers = node.GetRequiredService<ILoggerFactory>();
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions { ApplicationName = "mesh-llm-console" });
        builder.Services.AddSingleton(loggers);
        builder.Services.AddRoutingCore();
        builder.WebHost.UseKestrelCore().ConfigureKestrel(o =>
        {
            o.Listen(IPAddress.Loopback, port);
            o.AddServerHeader = false;
        });
        var app = builder.Build();
        var mesh = node.GetRequiredService<MeshService>();
        var serving = node.GetRequiredService<ServingState>();
        var api = node.GetRequiredService<IServer>();
        var split = node.GetService<SplitService>();
        var publisher = node.GetService<ListingPublisher>();
        app.MapGet("/api/status", context => WriteStatusAsync(context, mesh, serving, api, split, publisher));
        app.MapFallback("{**path}", context => OpenAiError.NotFound(context.Request.Path).WriteAsync(context.Response, context.RequestAborted));
        try
        {
            await app.StartAsync(cancellationToken);
        }
        catch
        {
            await app.DisposeAsync();
            throw;
        }

        var url = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
        LogConsoleListening(loggers.CreateLogger("MeshLlm.Hosting"), url.ToString().TrimEnd('/'));
        return new ConsoleServer(app, url);
    }

    private static Task WriteStatusAsync(HttpContext context, MeshService mesh, ServingState serving, IServer api, SplitService? split, ListingPublisher? publisher)
    {
        var document = StatusReport.Create(mesh.Node.Snapshot, mesh.Token, ApiPort(api), serving.Models, mesh.Demand, split?.Current) with
        {
            Nostr = publisher is null ? null
                : new StatusNostr(publisher.IsEnabled, publisher.IsListed, publisher.Npub, [.. publisher.Relays.Select(r => r.AbsoluteUri)], publisher.Reason),
        };
        context.Response.ContentType = "application/json; charset=utf-8";
        return JsonSerializer.SerializeAsync(context.Response.Body, document, ConsoleJsonContext.Default.StatusDocument, context.RequestAborted);
    }

    private static int ApiPort(IServer api) =>
        api.Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault() is { } address && Uri.TryCreate(address, UriKind.Absolute, out var uri) ? uri.Port : 0;

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    [LoggerMessage(EventId = 8501, Level = LogLevel.Information, Message = "Console listening on {Url}")]
    private static partial void LogConsoleListening(ILogger logger, string url);
}
