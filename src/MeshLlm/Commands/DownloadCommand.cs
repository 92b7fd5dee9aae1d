using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Serialization;
using MeshLlm.Hosting;
using MeshLlm.Models;
using MeshLlm.Planning;

namespace MeshLlm.Commands;

/// <summary><c>mesh-llm download [NAME] [--draft]</c>: fetch a catalog model into the models folder, or list the catalog.</summary>
internal static class DownloadCommand
{
    private static readonly Argument<string?> s_name = new("NAME")
    {
        Description = "Catalog name or alias (an unambiguous prefix works), Hugging Face URL or org/repo/file.gguf. Without it: the catalog.",
        Arity = ArgumentArity.ZeroOrOne,
    };

    private static readonly Option<bool> s_draft = new("--draft") { Description = "Also download the model's draft (for speculative decoding)." };

    private static readonly Option<bool> s_force = new("--force") { Description = "Download even if the model does not fit this machine's memory." };

    private static readonly Option<bool> s_json = new("--json") { Description = "Without NAME: print the catalog as JSON." };

    public static Command Create()
    {
        var command = new Command("download", $"Download a model into the models folder ({LocalModels.Folder}; MESH_LLM_MODELS_DIR changes it), resuming partial downloads; without NAME, list the catalog.");
        command.Arguments.Add(s_name);
        command.Options.Add(s_draft);
        command.Options.Add(s_force);
        command.Options.Add(s_json);
        command.SetAction((result, ct) => RunAsync(result, ct));
        return command;
    }

    private static async Task<int> RunAsync(ParseResult result, CancellationToken cancellationToken)
    {
        var ui = new TerminalConsoleUi();
        try
        {
            if (result.GetValue(s_name) is not { } name)
            {
                return ListCatalog(ui, result.GetValue(s_json));
            }

            var (path, model, draft) = await ModelAcquisition.AcquireAsync(name, result.GetValue(s_draft), result.GetValue(s_force), NodeCapacity.Hardware.UsableBytes, ui, cancellationToken);
            ui.Info($"{model}: {path}");
            if (draft is not null)
            {
                ui.Info($"draft: {draft}");
            }

            ui.Info($"Serve it: mesh-llm --model {model}");
            return ExitCodes.Ok;
        }
        catch (CommandException e)
        {
            ui.Error(e.Message);
            return e.ExitCode;
        }
    }

    private static int ListCatalog(TerminalConsoleUi ui, bool json)
    {
        var catalog = ModelAcquisition.LoadCatalog();
        var usable = NodeCapacity.Hardware.UsableBytes;
        var onDisk = LocalModels.Scan().Select(m => m.Name).ToHashSet(StringComparer.Ordinal);
        var entries = catalog.Models.Where(m => !m.IsDraft).OrderBy(m => m.SizeBytes).ToList();
        if (json)
        {
            var documents = catalog.Models.Select(m => new CatalogRowDocument(m.Name, m.SizeBytes, m.Quality.Score, m.IsDraft, m.Draft,
                SplitPlanner.Need(m.SizeBytes) <= usable, onDisk.Contains(m.Name))).ToList();
            ui.Info(JsonSerializer.Serialize(documents, DownloadJsonContext.Default.ListCatalogRowDocument));
            return ExitCodes.Ok;
        }

        var rows = entries.Select(m => new[]
        {
            m.Name, NodeCapacity.Describe(m.SizeBytes), ModelAcquisition.Number(m.Quality.Score, "0.0"),
            string.Join(",", m.Caps), m.Draft ?? "-", SplitPlanner.Need(m.SizeBytes) <= usable ? "yes" : "no", onDisk.Contains(m.Name) ? "yes" : "",
        });
        foreach (var line in Table.Format(["NAME", "SIZE", "QUALITY", "CAPABILITIES", "DRAFT", "FITS HERE", "ON DISK"], rows, rightAligned: [1, 2]))
        {
            ui.Info(line);
        }

        ui.Info("");
        ui.Info($"This machine offers {NodeCapacity.Describe(usable)} to models. `mesh-llm recommend` picks one; `mesh-llm download NAME` fetches it.");
        return ExitCodes.Ok;
    }
}

internal sealed record CatalogRowDocument(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("size_bytes")] long SizeBytes,
    [property: JsonPropertyName("quality")] double? Quality,
    [property: JsonPropertyName("is_draft")] bool IsDraft,
    [property: JsonPropertyName("draft")] string? Draft,
    [property: JsonPropertyName("fits")] bool Fits,
    [property: JsonPropertyName("on_disk")] bool OnDisk);

[JsonSerializable(typeof(List<CatalogRowDocument>))]
[JsonSourceGenerationOptions(WriteIndented = true)]
internal sealed partial class DownloadJsonContext : JsonSerializerContext;
