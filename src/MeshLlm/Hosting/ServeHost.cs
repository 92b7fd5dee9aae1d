using System.Net;
using MeshLlm.Console;
using MeshLlm.Inference;
using MeshLlm.Inference.LlamaSharp;
using MeshLlm.Membership;
using MeshLlm.Planning;
using MeshLlm.Routing;
using MeshLlm.Transport;
using MeshLlm.Tunnels;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace MeshLlm.Hosting;

/// <summary>Composition root of a serving node.</summary>
/// <remarks>
/// Configuration precedence, lowest first: defaults in the options classes, <c>$MESH_LLM_HOME/config.json</c>,
/// environment variables <c>MESHLLM__SECTION__KEY</c>, then command-line flags (<see cref="Commands.ServeOptions"/>).
/// </remarks>
internal static partial class ServeHost
{
    /// <summary>Adds the configuration sources in precedence order (the command line last).</summary>
    public static IConfigurationBuilder AddSources(IConfigurationBuilder configuration, IReadOnlyDictionary<string, string?> cli) =>
        configuration
            .AddJsonFile(Path.Combine(MeshHome.Path, "config.json"), optional: true, reloadOnChange: false)
            .AddEnvironmentVariables("MESHLLM__")
            .AddInMemoryCollection(cli);

    /// <summary>Builds the node; a passive client runs no engine, a node without a model waits for the planner to give it one.</summary>
    public static WebApplication Build(IReadOnlyDictionary<string, string?> cli, MeshSetup mesh, LoggingSettings logging, IConsoleUi ui)
    {
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions { ApplicationName = "mesh-llm" });
        AddSources(builder.Configuration, cli);
        logging.Apply(builder.Logging);

        var services = builder.Services;
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton(ui);
        services.AddOptions<InferenceOptions>().BindConfiguration(InferenceOptions.Section)
            .Validate(o => o.Parallel is >= 1 and <= 64, "Inference:Parallel must be between 1 and 64.")
            .Validate(o => o.Threads >= 1, "Inference:Threads must be at least 1.")
            .Validate(o => o.ContextSize == 0 || o.ContextSize >= 64, "Inference:ContextSize must be 0 (automatic) or at least 64.")
            .Validate(o => o.Backend is "auto" or "embedded" or "llamacpp", "Inference:Backend must be auto, embedded or llamacpp.")
            .Validate(o => DeviceDetector.Devices.Contains(o.Device), "Inference:Device must be one of " + string.Join(", ", DeviceDetector.Devices) + ".")
            .Validate(o => o.MaxRestarts >= 0, "Inference:MaxRestarts must be 0 or more.");
        services.AddOptions<RoutingOptions>().BindConfiguration(RoutingOptions.Section)
            .Validate(o => o.Port is >= 0 and <= 65535, "Routing:Port must be between 0 and 65535.")
            .Validate(o => o.MaxRequestBodyBytes > 0, "Routing:MaxRequestBodyBytes must be positive.");
        services.AddOptions<PlanningOptions>().BindConfiguration(PlanningOptions.Section)
            .Validate(o => o.MaxVramGb is null or > 0, "Planning:MaxVramGb must be positive.");
        services.AddSingleton<NodeCapacity>();
        if (!builder.Configuration.GetSection(MembershipOptions.Section).GetValue<bool>(nameof(MembershipOptions.Client)))
        {
            // The mesh decides solo or split; without --model the engine waits for the planner to assign a model
            // (or never starts: standby).
            services.AddSingleton<SplitService>();
            services.AddSingleton<ILaunchPlanner>(sp => sp.GetRequiredService<SplitService>());
            services.AddInference();
            services.AddEmbeddedBackend();
            services.AddHostedService<ReadyAnnouncer>();
            services.AddHostedService<AssignmentService>();
        }
        else
        {
            services.AddSingleton<ServingState>();
        }

        services.AddMeshNode(mesh);
        services.AddDiscovery(mesh, builder.Configuration.GetSection(MembershipOptions.Section).Get<MembershipOptions>() ?? new MembershipOptions());
        services.AddHttpForwarder();
        services.AddSingleton<ApiProxy>();
        services.AddRoutingCore();
        services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(5));

        var routing = builder.Configuration.GetSection(RoutingOptions.Section).Get<RoutingOptions>() ?? new RoutingOptions();
        builder.WebHost.UseKestrelCore().ConfigureKestrel(o =>
        {
            o.Listen(IPAddress.Loopback, routing.Port);
            o.Limits.MaxRequestBodySize = routing.MaxRequestBodyBytes;
            o.AddServerHeader = false;
        });
        // Run request processing on the socket's completion thread (a thread-pool thread: runtime-level inline
        // completions stay off) instead of hopping through Kestrel's I/O queues: one wake-up less per request each
        // way, measured in docs/BENCHMARKS.md. Nothing on this path blocks a thread.
        builder.WebHost.UseSockets(o => o.UnsafePreferInlineScheduling = true);

        var app = builder.Build();
        app.MapMeshApi();
        // Other nodes' requests for this node's model arrive as HTTP tunnels and go to its model server.
        var state = app.Services.GetRequiredService<ServingState>();
        var tunnels = new HttpTunnelServer(
            () => state.Models.FirstOrDefault(m => m.Status == ServingStatus.Ready),
            app.Services.GetRequiredService<ILoggerFactory>().CreateLogger<HttpTunnelServer>());
        var node = app.Services.GetRequiredService<MeshNode>();
        node.SetChannelHandler(ChannelType.HttpTunnel, tunnels.HandleAsync);
        if (app.Services.GetService<IInferenceBackend>() is { } backend)
        {
            // A split's host reaches this node's rpc-server through RPC tunnels; only nodes of this model's group may.
            var rpc = new RpcTunnelServer(peer => RpcPortFor(peer, node, state, backend), app.Services.GetRequiredService<ILoggerFactory>().CreateLogger<RpcTunnelServer>());
            node.SetChannelHandler(ChannelType.RpcTunnel, rpc.HandleAsync);
        }

        return app;
    }

    private static (int? Port, string Refusal) RpcPortFor(Identity.NodeId peer, MeshNode node, ServingState state, IInferenceBackend backend)
    {
        var model = state.Models.FirstOrDefault()?.Name;
        if (model is null || node.Snapshot.Find(peer)?.Announcement.Serving != model)
        {
            return (null, $"it does not serve this node's model ({model ?? "none"})");
        }

        return backend.RpcPort is { } port ? (port, "") : (null, "no rpc-server runs here");
    }

    /// <summary>Tells the user and the log where the API listens (the port is real even with --port 0).</summary>
    public static void AnnounceListening(WebApplication app, IConsoleUi ui)
    {
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("MeshLlm.Hosting");
        LogApiListening(logger, address);
        ui.Info($"API: {address}/v1  (OpenAI-compatible; Ctrl-C to stop)");
    }

    [LoggerMessage(EventId = 8500, Level = LogLevel.Information, Message = "API listening on {Url}")]
    private static partial void LogApiListening(ILogger logger, string url);
}
