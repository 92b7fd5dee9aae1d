using System.Net;
using MeshLlm.Inference.OpenAi;
using MeshLlm.Tunnels;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace MeshLlm.Inference.LlamaSharp;

/// <summary>
/// The embedded engine's OpenAI-compatible server on 127.0.0.1 and an ephemeral port: <c>/health</c>,
/// <c>/v1/models</c>, <c>/v1/chat/completions</c> and <c>/v1/completions</c>, streaming and not.
/// </summary>
internal sealed partial class EmbeddedOpenAiServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly LlamaSharpEngine _engine;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger _logger;

    private EmbeddedOpenAiServer(WebApplication app, LlamaSharpEngine engine, IDirectConnections direct, TimeProvider timeProvider, ILogger logger)
    {
        _app = app;
        _engine = engine;
        _timeProvider = timeProvider;
        _logger = logger;
        Direct = direct;
        app.MapGet("/health", () =>
        {
            var (idle, processing, queued) = engine.SlotUsage();
            return Results.Json(new { status = "ok", slots_idle = idle, slots_processing = processing, queued });
        });
        app.MapGet("/v1/models", WriteModelsAsync);
        app.MapPost("/v1/chat/completions", context => GenerateAsync(context, chat: true));
        app.MapPost("/v1/completions", context => GenerateAsync(context, chat: false));
    }

    public Uri BaseAddress { get; private set; } = null!;

    /// <summary>The in-process door for HTTP tunnels (same routes and limits as <see cref="BaseAddress"/>).</summary>
    public IDirectConnections Direct { get; }

    public static async Task<EmbeddedOpenAiServer> StartAsync(
        LlamaSharpEngine engine, TimeProvider timeProvider, ILoggerFactory loggerFactory, CancellationToken cancellationToken)
    {
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.Services.AddSingleton(loggerFactory);
        builder.Services.AddRoutingCore();
        var logger = loggerFactory.CreateLogger<EmbeddedOpenAiServer>();
        var direct = new DirectTransport();
        builder.WebHost.UseKestrelCore().ConfigureKestrel(o =>
        {
            o.Listen(IPAddress.Loopback, 0, listen => listen.Use(LogConnections));
            o.Listen(DirectTransport.EndPoint, listen => listen.Use(LogConnections));
            o.Limits.MaxRequestBodySize = 32 << 20;
        });
        // As on the API port: no hop through Kestrel's I/O queues (generation runs on the engine's own thread).
        builder.WebHost.UseSockets(o => o.UnsafePreferInlineScheduling = true);
        // Other nodes' requests arrive over HTTP tunnels, handed to Kestrel in-process by a second transport
        // (registered after the socket transport, which is only added when no transport is yet).
        builder.Services.AddSingleton<IConnectionListenerFactory>(direct);
        var app = builder.Build();
        var server = new EmbeddedOpenAiServer(app, engine, direct, timeProvider, logger);
        await app.StartAsync(cancellationToken);
        var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses;
        server.BaseAddress = new Uri(addresses.First(a => a.StartsWith("http://127.0.0.1:", StringComparison.Ordinal)));
        return server;

        ConnectionDelegate LogConnections(ConnectionDelegate next) => connection =>
        {
            LogConnection(logger, connection.RemoteEndPoint?.ToString() ?? connection.ConnectionId);
            return next(connection);
        };
    }

    private async Task WriteModelsAsync(HttpContext context)
    {
        await context.Response.WriteAsJsonAsync(new
        {
            @object = "list",
            data = new[]
            {
                new { id = _engine.Name, @object = "model", created = 0, owned_by = "mesh-llm", meta = new { n_ctx = _engine.Settings.SlotContext } },
            },
        }, context.RequestAborted);
    }

    private async Task GenerateAsync(HttpContext context, bool chat)
    {
        var cancellationToken = context.RequestAborted;
        try
        {
            var body = await RequestBody.ReadAsync(context.Request, cancellationToken);
            var parsed = chat ? OpenAiRequestParser.ParseChat(body) : OpenAiRequestParser.ParseCompletion(body);
            if (!parsed.IsValid)
            {
                await parsed.Error.WriteAsync(context.Response, cancellationToken);
                return;
            }

            var request = parsed.Request;
            var prompt = chat ? _engine.ApplyChatTemplate(request.Messages!) : request.Prompt!;
            var job = _engine.Submit(prompt, request.Sampling, cancellationToken);
            var json = new OpenAiJson(
                (chat ? "chatcmpl-" : "cmpl-") + Guid.NewGuid().ToString("N"),
                _engine.Name, _timeProvider.GetUtcNow().ToUnixTimeSeconds(), chat);
            LogGeneration(chat ? "chat" : "completion", job.PromptTokens.Length, request.Stream);
            if (request.Stream)
            {
                await StreamAsync(context.Response, job, json, request.IncludeUsage, chat, cancellationToken);
            }
            else
            {
                await CompleteAsync(context.Response, job, json, cancellationToken);
            }
        }
        catch (OpenAiException e) when (!context.Response.HasStarted)
        {
            await e.Error.WriteAsync(context.Response, cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            LogClientGone();
        }
    }

    [LoggerMessage(EventId = 5110, Level = LogLevel.Debug, Message = "Generating {Kind} for a {PromptTokens}-token prompt (stream: {Stream})")]
    private partial void LogGeneration(string kind, int promptTokens, bool stream);

    [LoggerMessage(EventId = 5111, Level = LogLevel.Debug, Message = "Client went away; generation cancelled")]
    private partial void LogClientGone();

    [LoggerMessage(EventId = 5112, Level = LogLevel.Debug, Message = "Engine connection from {Remote}")]
    private static partial void LogConnection(ILogger logger, string? remote);

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
