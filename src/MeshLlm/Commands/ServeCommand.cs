using System.CommandLine;
using MeshLlm.Hosting;
using MeshLlm.Inference;
using MeshLlm.Inference.LlamaCpp;
using MeshLlm.Inference.Processes;
using MeshLlm.Routing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace MeshLlm.Commands;

/// <summary>The root command: serve a model through the OpenAI-compatible API.</summary>
internal static class ServeCommand
{
    public static RootCommand Create()
    {
        var root = new RootCommand(
            "mesh-llm: pool machines into a private mesh that serves LLMs through one OpenAI-compatible API.\n" +
            "Serves --model on http://localhost:9337/v1. Try it without a download:\n" +
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
        if (!cli.TryGetValue("Inference:ModelPath", out var modelPath) || string.IsNullOrWhiteSpace(modelPath))
        {
            ui.Error("No model given. Run with --model <file.gguf> (for a test model: mesh-llm make-test-model tiny.gguf).");
            return ExitCodes.Usage;
        }

        if (ModelFileCheck.Validate(modelPath) is { } problem)
        {
            ui.Error(problem);
            return ExitCodes.ModelInvalid;
        }

        if (cli.TryGetValue("Inference:DraftPath", out var draftPath) && draftPath is not null && ModelFileCheck.Validate(draftPath) is { } draftProblem)
        {
            ui.Error("--draft: " + draftProblem);
            return ExitCodes.ModelInvalid;
        }

        var logging = new LoggingSettings(result.GetValue(ServeOptions.LogLevel)!, result.GetValue(ServeOptions.LogFormat)!);
        WebApplication app;
        try
        {
            app = ServeHost.Build(cli, logging, ui);
            var inference = app.Services.GetRequiredService<IOptions<InferenceOptions>>().Value;
            _ = app.Services.GetRequiredService<IOptions<RoutingOptions>>().Value;
            if (inference.Backend == "llamacpp" && LlamaCppBinaries.Find(inference.BinDir) is null)
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
        app.Services.GetRequiredService<ChildProcessRegistry>().CleanStale();
        try
        {
            await app.StartAsync();
        }
        catch (IOException e) when (e.InnerException is AddressInUseException || e.GetType().Name == nameof(AddressInUseException))
        {
            ui.Error($"Port {port} is already in use. Stop the other program or run with --port <n>.");
            return ExitCodes.PortInUse;
        }

        ServeHost.AnnounceListening(app, ui);
        await app.WaitForShutdownAsync();
        var failure = app.Services.GetRequiredService<BackendService>().FailureMessage;
        if (failure is not null)
        {
            ui.Error(failure);
            return ExitCodes.BackendFailed;
        }

        return ExitCodes.Ok;
    }
}
