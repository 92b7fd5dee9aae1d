using System.CommandLine;
using MeshLlm.Console;
using MeshLlm.Discovery;
using MeshLlm.Discovery.Nostr;
using MeshLlm.Identity;
using MeshLlm.Hosting;
using MeshLlm.Inference;
using MeshLlm.Inference.LlamaCpp;
using MeshLlm.Inference.Processes;
using MeshLlm.Membership;
using MeshLlm.Routing;
using MeshLlm.Transport;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace MeshLlm.Commands;

/// <summary>The root command: serve a model through the OpenAI-compatible API.</summary>
internal static class ServeCommand
{
    public static RootCommand Create()
    {
        var root = new RootCommand(
            "mesh-llm: pool machines into a private mesh that serves LLMs through one OpenAI-compatible API.\n" +
            "Serves --model on http://localhost:9337/v1 and starts a mesh; --join TOKEN joins one instead, --auto finds one on Nostr.\n" +
            "Try it without a download:\n" +
            "  mesh-llm make-test-model tiny.gguf && mesh-llm --model tiny.gguf");
        foreach (var option in ServeOptions.All)
        {
            root.Options.Add(option);
        }

        root.SetAction((result, _) => RunAsync(result));
        return root;
    }

    private static async Task<int> RunAsync(ParseResult result)
    {
        var ui = new TerminalConsoleUi();
        var cli = ServeOptions.ToConfiguration(result);
        var hasModel = cli.TryGetValue("Inference:ModelPath", out var modelPath) && !string.IsNullOrWhiteSpace(modelPath);
        var logging = new LoggingSettings(result.GetValue(ServeOptions.LogLevel)!, result.GetValue(ServeOptions.LogFormat)!);
        MeshSetup setup;
        try
        {
            var (mesh, transport) = BindMeshOptions(cli);
            var discovery = BindDiscoveryOptions(cli);
            var joins = MeshSetup.Check(mesh, transport, hasModel, discovery.Auto);
            CheckDiscovery(discovery, mesh);
            // A broken MESH_LLM_CATALOG is reported now, not when the planner first looks at the disk.
            _ = ModelAcquisition.LoadCatalog();
            if (hasModel)
            {
                modelPath = await AcquireModelAsync(modelPath!, cli, result, ui);
                CheckModelFiles(modelPath, cli);
            }

            IReadOnlyList<DiscoveredMesh> discovered = [];
            if (discovery.Auto)
            {
                using var loggers = LoggerFactory.Create(logging.Apply);
                var candidates = await AutoJoin.FindAsync(discovery, mesh.MeshName, MeshHome.Path, loggers, ui, CancellationToken.None);
                if (mesh.Client && candidates.Count == 0)
                {
                    throw new CommandException("--auto --client: no mesh to join was found on the relays. Ask a mesh to publish (--publish), or use --join TOKEN.", ExitCodes.JoinRefused);
                }

                joins = [.. candidates.Select(c => c.Token)];
                discovered = [.. candidates.Select(c => c.Mesh)];
            }

            setup = MeshSetup.Create(joins, mesh, MeshHome.Path, discovery.Auto) with { Discovered = discovered };
        }
        catch (CommandException e)
        {
            ui.Error(e.Message);
            return e.ExitCode;
        }

        using (setup.Key)
        {
            return await BuildAndRunAsync(cli, setup, hasModel, logging, ui);
        }
    }

    /// <summary>The mesh options from every configuration source, read before anything starts so their checks come first.</summary>
    private static (MembershipOptions Mesh, TransportOptions Transport) BindMeshOptions(Dictionary<string, string?> cli)
    {
        var section = ServeHost.AddSources(new ConfigurationBuilder(), cli).Build().GetSection(MembershipOptions.Section);
        try
        {
            return (section.Get<MembershipOptions>() ?? new MembershipOptions(), section.Get<TransportOptions>() ?? new TransportOptions());
        }
        catch (InvalidOperationException e)
        {
            throw new CommandException(e.Message + " (check config.json and MESHLLM__MESH__* variables)", ExitCodes.ConfigInvalid);
        }
    }

    private static DiscoveryOptions BindDiscoveryOptions(Dictionary<string, string?> cli)
    {
        var section = ServeHost.AddSources(new ConfigurationBuilder(), cli).Build().GetSection(DiscoveryOptions.Section);
        try
        {
            return section.Get<DiscoveryOptions>() ?? new DiscoveryOptions();
        }
        catch (InvalidOperationException e)
        {
            throw new CommandException(e.Message + " (check config.json and MESHLLM__DISCOVERY__* variables)", ExitCodes.ConfigInvalid);
        }
    }

    /// <summary>Checks the Nostr options, and the Nostr key when this node will publish, before anything starts.</summary>
    private static void CheckDiscovery(DiscoveryOptions discovery, MembershipOptions mesh)
    {
        if (discovery.Problem() is { } problem)
        {
            throw new CommandException(problem, ExitCodes.ConfigInvalid);
        }

        if (mesh.Client && discovery.Publish)
        {
            throw new CommandException("--client nodes cannot --publish: a passive client is not a member of the mesh; publish from a serving node.", ExitCodes.Usage);
        }

        if (!mesh.Client && (discovery.Publish || discovery.Auto))
        {
            try
            {
                _ = NostrKey.LoadOrCreate(Path.Combine(MeshHome.Path, NostrKey.FileName));
            }
            catch (IdentityException e)
            {
                throw new CommandException(e.Message, ExitCodes.ConfigInvalid);
            }
        }
    }

    /// <summary>
    /// Resolves <c>--model</c> (a file, a catalog name, a Hugging Face file) to a file on disk, downloading what is
    /// missing, and picks the catalog's draft unless <c>--draft</c> or <c>--no-draft</c> was given.
    /// </summary>
    private static async Task<string> AcquireModelAsync(string input, Dictionary<string, string?> cli, ParseResult result, TerminalConsoleUi ui)
    {
        var wantDraft = !result.GetValue(ServeOptions.NoDraft) && !cli.ContainsKey("Inference:DraftPath");
        var maxVram = cli.TryGetValue("Planning:MaxVramGb", out var cap) && double.TryParse(cap, System.Globalization.CultureInfo.InvariantCulture, out var gb) ? gb : (double?)null;
        var usable = Planning.NodeCapacity.Cap(Planning.NodeCapacity.Hardware.UsableBytes, maxVram);
        var (path, name, draft) = await ModelAcquisition.AcquireAsync(input, wantDraft, result.GetValue(ServeOptions.Force), usable, ui, CancellationToken.None);
        cli["Inference:ModelPath"] = path;
        cli["Mesh:Wanted:0"] = name;
        if (draft is not null)
        {
            cli["Inference:DraftPath"] = draft;
            ui.Info($"Draft model: {Path.GetFileName(draft)} (speculative decoding on llama.cpp; --no-draft turns it off)");
        }

        return path;
    }

    private static void CheckModelFiles(string modelPath, Dictionary<string, string?> cli)
    {
        if (ModelFileCheck.Validate(modelPath) is { } problem)
        {
            throw new CommandException(problem, ExitCodes.ModelInvalid);
        }

        if (cli.TryGetValue("Inference:DraftPath", out var draftPath) && draftPath is not null && ModelFileCheck.Validate(draftPath) is { } draftProblem)
        {
            throw new CommandException("--draft: " + draftProblem, ExitCodes.ModelInvalid);
        }
    }

    private static async Task<int> BuildAndRunAsync(Dictionary<string, string?> cli, MeshSetup setup, bool serveModel, LoggingSettings logging, TerminalConsoleUi ui)
    {
        WebApplication app;
        try
        {
            app = ServeHost.Build(cli, setup, logging, ui);
            var inference = app.Services.GetRequiredService<IOptions<InferenceOptions>>().Value;
            _ = app.Services.GetRequiredService<IOptions<RoutingOptions>>().Value;
            _ = app.Services.GetRequiredService<IOptions<MembershipOptions>>().Value;
            _ = app.Services.GetRequiredService<IOptions<TransportOptions>>().Value;
            _ = app.Services.GetRequiredService<IOptions<ConsoleOptions>>().Value;
            if (serveModel && inference.Backend == "llamacpp" && LlamaCppBinaries.Find(inference.BinDir) is null)
            {
                ui.Error("--backend llamacpp: llama-server was not found in " + string.Join(", ", LlamaCppBinaries.SearchFolders(inference.BinDir).Take(3)) +
                    " or on PATH. Install llama.cpp, pass --bin-dir <folder>, or use --backend embedded.");
                await app.DisposeAsync();
                return ExitCodes.BackendMissing;
            }
        }
        catch (OptionsValidationException e)
        {
            ui.Error(string.Join(" ", e.Failures));
            return ExitCodes.ConfigInvalid;
        }

        await using (app)
        {
            return await RunHostAsync(app, ui);
        }
    }

    private static async Task<int> RunHostAsync(WebApplication app, TerminalConsoleUi ui)
    {
        var port = app.Services.GetRequiredService<IOptions<RoutingOptions>>().Value.Port;
        var console = app.Services.GetRequiredService<IOptions<ConsoleOptions>>().Value;
        app.Services.GetService<ChildProcessRegistry>()?.CleanStale();
        ConsoleServer? consoleServer = null;
        try
        {
            consoleServer = console.Enabled ? await ConsoleServer.StartAsync(app.Services, console.Port, CancellationToken.None) : null;
        }
        catch (IOException e) when (IsAddressInUse(e))
        {
            ui.Error($"Console port {console.Port} is already in use (another mesh-llm node?). Stop it, or run with --console <n> or --no-console.");
            return ExitCodes.PortInUse;
        }

        await using (consoleServer)
        {
            try
            {
                await app.StartAsync();
            }
            catch (IOException e) when (IsAddressInUse(e))
            {
                ui.Error($"Port {port} is already in use. Stop the other program or run with --port <n>.");
                return ExitCodes.PortInUse;
            }
            catch (OperationCanceledException) when (app.Lifetime.ApplicationStopping.IsCancellationRequested)
            {
                // A service failed (the mesh port taken, say) and stopped the host while it was still starting.
                await app.StopAsync();
                return Failure(app, ui);
            }

            ServeHost.AnnounceListening(app, ui);
            if (consoleServer is not null)
            {
                ui.Info($"Console: {consoleServer.Url}api/status");
            }

            await app.WaitForShutdownAsync();
        }

        return Failure(app, ui);
    }

    private static int Failure(WebApplication app, TerminalConsoleUi ui)
    {
        var mesh = app.Services.GetRequiredService<MeshService>();
        if (mesh.FailureMessage is not null)
        {
            ui.Error(mesh.FailureMessage);
            return mesh.FailureExitCode;
        }

        if (app.Services.GetService<BackendService>()?.FailureMessage is { } failure)
        {
            ui.Error(failure);
            return ExitCodes.BackendFailed;
        }

        return ExitCodes.Ok;
    }

    private static bool IsAddressInUse(IOException e) =>
        e.InnerException is AddressInUseException || e.GetType().Name == nameof(AddressInUseException);
}
