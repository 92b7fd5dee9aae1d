using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Serialization;
using MeshLlm.Hosting;
using MeshLlm.Models;
using MeshLlm.Planning;

namespace MeshLlm.Commands;

/// <summary><c>mesh-llm models</c>: the models on this machine (models folder and Hugging Face cache), drafts apart.</summary>
internal static class ModelsCommand
{
    private static readonly Option<bool> s_json = new("--json") { Description = "Print JSON for scripts." };

    public static Command Create()
    {
        var command = new Command("models", "List the models on this machine: the models folder (MESH_LLM_MODELS_DIR, else ~/.models) and the Hugging Face cache.");
        command.Options.Add(s_json);
        command.SetAction(Run);
        return command;
    }

    private static int Run(ParseResult result)
    {
        var ui = new TerminalConsoleUi();
        ModelCatalog catalog;
        try
        {
            catalog = ModelAcquisition.LoadCatalog();
        }
        catch (CommandException e)
        {
            ui.Error(e.Message);
            return e.ExitCode;
        }

        var usable = NodeCapacity.Hardware.UsableBytes;
        var models = LocalModels.Scan()
            .Select(m => (Model: m, Entry: catalog.Find(m.Name)))
            .Select(x => new LocalModelDocument(x.Model.Name, x.Model.Path, x.Model.SizeBytes, x.Entry?.IsDraft ?? x.Model.IsDraft,
                SplitPlanner.Need(x.Model.SizeBytes) <= usable, x.Entry?.Quality.Score))
            .ToList();
        if (result.GetValue(s_json))
        {
            ui.Info(JsonSerializer.Serialize(models, ModelsJsonContext.Default.ListLocalModelDocument));
            return ExitCodes.Ok;
        }

        if (models.Count == 0)
        {
            ui.Info($"No models in {LocalModels.Folder} or {LocalModels.HubCache}. Get one: mesh-llm recommend, then mesh-llm download NAME.");
            return ExitCodes.Ok;
        }

        var rows = models.Select(m => new[]
        {
            m.Name, NodeCapacity.Describe(m.SizeBytes), m.IsDraft ? "draft" : "model", m.IsDraft ? "-" : m.Fits ? "yes" : "no (split)",
            m.Quality is { } q ? ModelAcquisition.Number(q, "0.0") : "-", m.Path,
        });
        foreach (var line in Table.Format(["NAME", "SIZE", "KIND", "FITS HERE", "QUALITY", "FILE"], rows, rightAligned: [1, 4]))
        {
            ui.Info(line);
        }

        ui.Info("");
        ui.Info($"This machine offers {NodeCapacity.Describe(usable)} to models ({NodeCapacity.Hardware.Source}). Drafts are used automatically with their main model.");
        return ExitCodes.Ok;
    }
}

internal sealed record LocalModelDocument(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("path")] string Path,
    [property: JsonPropertyName("size_bytes")] long SizeBytes,
    [property: JsonPropertyName("is_draft")] bool IsDraft,
    [property: JsonPropertyName("fits")] bool Fits,
    [property: JsonPropertyName("quality")] double? Quality);

[JsonSerializable(typeof(List<LocalModelDocument>))]
[JsonSourceGenerationOptions(WriteIndented = true)]
internal sealed partial class ModelsJsonContext : JsonSerializerContext;
