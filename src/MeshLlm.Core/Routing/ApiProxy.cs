using System.Net;
using MeshLlm.Inference;
using MeshLlm.Inference.OpenAi;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Yarp.ReverseProxy.Forwarder;

namespace MeshLlm.Routing;

/// <summary>
/// The OpenAI-compatible API on 127.0.0.1:<c>--port</c>: answers <c>/v1/models</c> and <c>/health</c> itself
/// and forwards each generation request, on its own, to the server of the model its body names.
/// </summary>
/// <remarks>
/// Flow per request: (1) read the bounded body; (2) parse and validate it with a real JSON reader;
/// (3) <see cref="RoutePolicy"/> picks the target or the error; (4) YARP's forwarder sends the buffered body
/// and streams the answer back unbuffered, with an idle (not total) timeout.
/// </remarks>
public sealed partial class ApiProxy : IDisposable
{
    private readonly IHttpForwarder _forwarder;
    private readonly ServingState _state;
    private readonly RoutingOptions _options;
    private readonly HttpMessageInvoker _invoker;
    private readonly ForwarderRequestConfig _requestConfig;
    private readonly ILogger<ApiProxy> _logger;

    public ApiProxy(IHttpForwarder forwarder, ServingState state, IOptions<RoutingOptions> options, ILogger<ApiProxy> logger)
    {
        _forwarder = forwarder;
        _state = state;
        _options = options.Value;
        _logger = logger;
        _invoker = new HttpMessageInvoker(new StreamErrorHandler(new SocketsHttpHandler
        {
            UseProxy = false,
            AllowAutoRedirect = false,
            AutomaticDecompression = DecompressionMethods.None,
            UseCookies = false,
            ConnectTimeout = _options.ConnectTimeout,
            PooledConnectionIdleTimeout = _options.PooledConnectionIdleTimeout,
            ActivityHeadersPropagator = null,
        }));
        // Model servers on loopback speak HTTP/1.1; asking for it avoids a failed HTTP/2 attempt per request.
        _requestConfig = new ForwarderRequestConfig
        {
            ActivityTimeout = _options.IdleTimeout,
            Version = HttpVersion.Version11,
            VersionPolicy = HttpVersionPolicy.RequestVersionOrLower,
        };
    }

    /// <summary>Routes and forwards one generation request.</summary>
    public async Task ForwardAsync(HttpContext context)
    {
        var cancellationToken = context.RequestAborted;
        try
        {
            var body = await RequestBody.ReadAsync(context.Request, cancellationToken);
            // Validate the whole request here, so every backend's clients get the same OpenAI-style 400s.
            var parsed = context.Request.Path.StartsWithSegments("/v1/chat/completions")
                ? OpenAiRequestParser.ParseChat(body)
                : OpenAiRequestParser.ParseCompletion(body);
            if (!parsed.IsValid)
            {
                await parsed.Error.WriteAsync(context.Response, cancellationToken);
                return;
            }

            var model = parsed.Request.Model;
            var decision = RoutePolicy.Choose(model, _state.Models, _options.LoadingRetryAfterSeconds);
            if (decision.Error is not null)
            {
                LogNotRouted(model ?? "(none)", decision.Error.Code ?? "");
                await decision.Error.WriteAsync(context.Response, cancellationToken);
                return;
            }

            context.Request.Body = new MemoryStream(body, writable: false);
            context.Request.ContentLength = body.Length;
            await SendAsync(context, decision);
        }
        catch (OpenAiException e) when (!context.Response.HasStarted)
        {
            await e.Error.WriteAsync(context.Response, cancellationToken);
        }
    }

    private async Task SendAsync(HttpContext context, RouteDecision decision)
    {
        LogForwarding(decision.Model!, decision.Target!);
        var result = await _forwarder.SendAsync(context, decision.Target!.ToString(), _invoker, _requestConfig, HttpTransformer.Default);
        if (result is ForwarderError.None or ForwarderError.RequestCanceled)
        {
            return;
        }

        LogForwardFailed(decision.Model!, result);
        if (!context.Response.HasStarted)
        {
            context.Response.Clear();
            var status = result == ForwarderError.RequestTimedOut ? StatusCodes.Status504GatewayTimeout : StatusCodes.Status502BadGateway;
            await new OpenAiError(status, $"The server for model '{decision.Model}' did not answer ({result}).", "server_error", "upstream_failed")
                .WriteAsync(context.Response, context.RequestAborted);
        }
    }

    public void Dispose() => _invoker.Dispose();

    [LoggerMessage(EventId = 3000, Level = LogLevel.Debug, Message = "Forwarding a request for {Model} to {Target}")]
    private partial void LogForwarding(string model, Uri target);

    [LoggerMessage(EventId = 3001, Level = LogLevel.Debug, Message = "Request for {Model} not routed: {Code}")]
    private partial void LogNotRouted(string model, string code);

    [LoggerMessage(EventId = 3002, Level = LogLevel.Warning, Message = "Forwarding a request for {Model} failed: {Error}")]
    private partial void LogForwardFailed(string model, ForwarderError error);
}
