using System.Collections.Concurrent;
using System.Net;
using MeshLlm.Identity;
using MeshLlm.Inference;
using MeshLlm.Inference.OpenAi;
using MeshLlm.Membership;
using MeshLlm.Planning;
using MeshLlm.Tunnels;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Yarp.ReverseProxy.Forwarder;

namespace MeshLlm.Routing;

/// <summary>
/// The OpenAI-compatible API on 127.0.0.1:<c>--port</c>: answers <c>/v1/models</c> and <c>/health</c> itself
/// and forwards each generation request, on its own, to a server of the model its body names, on this node
/// or on another through an HTTP tunnel.
/// </summary>
/// <remarks>
/// Flow per request: (1) read the bounded body; (2) parse and validate it with a real JSON reader;
/// (3) <see cref="RoutePolicy"/> orders the model's ready servers or picks the error; (4) YARP's forwarder sends
/// the buffered body and streams the answer back unbuffered, with an idle (not total) timeout. A server that
/// fails before the first response byte is skipped for the next; every answer names its node in
/// <c>X-Mesh-Node</c>.
/// </remarks>
public sealed partial class ApiProxy : IDisposable
{
    /// <summary>Response header naming (short id) the node whose server produced the answer.</summary>
    public const string NodeHeader = "X-Mesh-Node";

    private readonly IHttpForwarder _forwarder;
    private readonly ServingState _state;
    private readonly MeshNode _mesh;
    private readonly RoutingOptions _options;
    // Pooled connections to llama-server must close before its fixed 5 s keep-alive does; the embedded engine keeps
    // idle connections for 130 s, so a request after a pause reuses its connection (or tunnel) there.
    private readonly HttpMessageInvoker _local;
    private readonly HttpMessageInvoker _embeddedLocal;
    private readonly HttpMessageInvoker _tunnels;
    private readonly HttpMessageInvoker _embeddedTunnels;
    private readonly ForwarderRequestConfig _requestConfig;
    private readonly ConcurrentDictionary<NodeId, int> _inFlight = new();
    private readonly DemandTracker _demand;
    private readonly ILogger<ApiProxy> _logger;

    public ApiProxy(IHttpForwarder forwarder, ServingState state, MeshNode mesh, DemandTracker demand, IOptions<RoutingOptions> options, ILogger<ApiProxy> logger)
    {
        _demand = demand;
        _forwarder = forwarder;
        _state = state;
        _mesh = mesh;
        _options = options.Value;
        _logger = logger;
        _local = CreateLocal(_options.PooledConnectionIdleTimeout);
        _embeddedLocal = CreateLocal(_options.EmbeddedPooledConnectionIdleTimeout);
        _tunnels = new HttpMessageInvoker(new StreamErrorHandler(MeshHttpHandler.Create(mesh, _options.PooledConnectionIdleTimeout)));
        _embeddedTunnels = new HttpMessageInvoker(new StreamErrorHandler(MeshHttpHandler.Create(mesh, _options.EmbeddedPooledConnectionIdleTimeout)));
        HttpMessageInvoker CreateLocal(TimeSpan pooledIdleTimeout) => new(new StreamErrorHandler(new SocketsHttpHandler
        {
            UseProxy = false,
            AllowAutoRedirect = false,
            AutomaticDecompression = DecompressionMethods.None,
            UseCookies = false,
            ConnectTimeout = _options.ConnectTimeout,
            PooledConnectionIdleTimeout = pooledIdleTimeout,
            ActivityHeadersPropagator = null,
        }));

        // Model servers speak HTTP/1.1; asking for it avoids a failed HTTP/2 attempt per request.
        _requestConfig = new ForwarderRequestConfig
        {
            ActivityTimeout = _options.IdleTimeout,
            Version = HttpVersion.Version11,
            VersionPolicy = HttpVersionPolicy.RequestVersionOrLower,
        };
    }

    /// <summary>Every server of every model in the mesh, this node's first.</summary>
    public IReadOnlyList<ModelHost> Hosts()
    {
        var hosts = _state.Models.Select(m => new ModelHost(m.Name, m.Status, m.Endpoint, null)).ToList();
        foreach (var peer in _mesh.Snapshot.Peers.Where(p => p.Health == PeerHealth.Alive && p.Announcement.Serving is not null))
        {
            var status = ServingStatusNames.Parse(peer.Announcement.ModelState);
            hosts.Add(new ModelHost(peer.Announcement.Serving!, status, MeshHttpHandler.AddressOf(peer.Id), peer.Id, _inFlight.GetValueOrDefault(peer.Id), peer.RttMs));
        }

        return hosts;
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
            var decision = RoutePolicy.Choose(model, Hosts(), _options.LoadingRetryAfterSeconds);
            if (decision.Error is not null && _mesh.IsClient)
            {
                // A passive client's table may be older than the model: ask again before saying no.
                await _mesh.RefreshAsync();
                decision = RoutePolicy.Choose(model, Hosts(), _options.LoadingRetryAfterSeconds);
            }

            if (decision.Error is not null)
            {
                LogNotRouted(model ?? "(none)", decision.Error.Code ?? "");
                await decision.Error.WriteAsync(context.Response, cancellationToken);
                return;
            }

            _demand.Record(decision.Model!);
            await SendAsync(context, decision, body);
        }
        catch (OpenAiException e) when (!context.Response.HasStarted)
        {
            await e.Error.WriteAsync(context.Response, cancellationToken);
        }
    }

    /// <summary>Tries the decision's servers in order until one answers; only a failure before any response byte moves on.</summary>
    private async Task SendAsync(HttpContext context, RouteDecision decision, byte[] body)
    {
        var result = ForwarderError.None;
        foreach (var target in decision.Targets)
        {
            context.Request.Body = new MemoryStream(body, writable: false);
            context.Request.ContentLength = body.Length;
            context.Response.Headers[NodeHeader] = (target.Node ?? _mesh.Id).ToShortString();
            result = await SendOnceAsync(context, target);
            if (result is ForwarderError.None or ForwarderError.RequestCanceled || context.Response.HasStarted)
            {
                return;
            }

            LogTargetFailed(decision.Model!, (target.Node ?? _mesh.Id).ToShortString(), result);
            if (target.Node is { } failed)
            {
                _mesh.ReportFailure(failed, $"a request to it failed ({result})");
            }

            context.Response.Clear();
            context.Features.Set<IForwarderErrorFeature>(null);
        }

        var status = result == ForwarderError.RequestTimedOut ? StatusCodes.Status504GatewayTimeout : StatusCodes.Status502BadGateway;
        await new OpenAiError(status, $"No server of model '{decision.Model}' answered ({result}); tried {decision.Targets.Length}.", "server_error", "upstream_failed")
            .WriteAsync(context.Response, context.RequestAborted);
    }

    private async Task<ForwarderError> SendOnceAsync(HttpContext context, RouteTarget target)
    {
        LogForwarding(target.Model, target.Address);
        if (target.Node is not { } node)
        {
            using (_state.Use(target.Address))
            {
                var embedded = _state.Models.Any(m => m.Endpoint == target.Address && m.Backend == InferenceServiceCollectionExtensions.EmbeddedKey);
                return await _forwarder.SendAsync(context, target.Address.ToString(), embedded ? _embeddedLocal : _local, _requestConfig, HttpTransformer.Default);
            }
        }

        _inFlight.AddOrUpdate(node, 1, (_, n) => n + 1);
        try
        {
            var transformer = new BrokenStreamReporter(reason => _mesh.ReportFailure(node, "its answer broke mid-stream: " + reason));
            var tunnels = _mesh.Snapshot.Find(node)?.Announcement.Backend == InferenceServiceCollectionExtensions.EmbeddedKey ? _embeddedTunnels : _tunnels;
            return await _forwarder.SendAsync(context, target.Address.ToString(), tunnels, _requestConfig, transformer);
        }
        finally
        {
            _inFlight.AddOrUpdate(node, 0, (_, n) => n - 1);
        }
    }

    public void Dispose()
    {
        _local.Dispose();
        _embeddedLocal.Dispose();
        _tunnels.Dispose();
        _embeddedTunnels.Dispose();
    }

    /// <summary>Hands the stream guard a way to report the remote node when its answer breaks.</summary>
    private sealed class BrokenStreamReporter(Action<string> onBroken) : HttpTransformer
    {
        public override async ValueTask TransformRequestAsync(HttpContext httpContext, HttpRequestMessage proxyRequest, string destinationPrefix, CancellationToken cancellationToken)
        {
            await Default.TransformRequestAsync(httpContext, proxyRequest, destinationPrefix, cancellationToken);
            proxyRequest.Options.Set(StreamErrorHandler.OnBroken, onBroken);
        }
    }

    [LoggerMessage(EventId = 3000, Level = LogLevel.Debug, Message = "Forwarding a request for {Model} to {Target}")]
    private partial void LogForwarding(string model, Uri target);

    [LoggerMessage(EventId = 3001, Level = LogLevel.Debug, Message = "Request for {Model} not routed: {Code}")]
    private partial void LogNotRouted(string model, string code);

    [LoggerMessage(EventId = 3002, Level = LogLevel.Warning, Message = "A server of {Model} on {Node} failed before answering ({Error}); trying the next")]
    private partial void LogTargetFailed(string model, string node, ForwarderError error);
}
