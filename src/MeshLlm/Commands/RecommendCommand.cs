using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Serialization;
using MeshLlm.Hosting;
using MeshLlm.Models;
using MeshLlm.Planning;

namespace MeshLlm.Commands;

/// <summary><c>mesh-llm recommend</c>: the model to run on this machine, alternatives, and the command to run it.</summary>
internal static class RecommendCommand
{
    private static readonly Option<bool> s_json = new("--json") { Description = "Print JSON for scripts." };

    private static readonly Option<double?> s_maxVram = new("--max-vram")
    {
        Description = "Recommend for this much memory instead of what was detected, in GB (as `mesh-llm --max-vram` caps it).",
        HelpName = "GB",
    };

    public static Command Create()
    {
        var command = new Command("recommend", "Recommend a model for this machine's memory (see docs/MODELS.md for the tiers), with alternatives and the exact command to run.");
        command.Options.Add(s_json);
        command.Options.Add(s_maxVram);
        command.SetAction(Run);
        return command;
    }

    private static int Run(ParseResult result)
    {
        var ui = new TerminalConsoleUi();
        if (result.GetValue(s_maxVram) is <= 0)
        {
            ui.Error("--max-vram must be a positive number of GB, e.g. 24 or 0.5.");
            return ExitCodes.Usage;
        }

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

        var hardware = NodeCapacity.Hardware;
        var usable = result.GetValue(s_maxVram) is { } gb ? (long)(gb * 1e9) : hardware.UsableBytes;
        var choice = ModelTiers.Recommend(usable, catalog);
        var onDisk = LocalModels.Scan().Select(m => m.Name).ToHashSet(StringComparer.Ordinal);
        var starter = ModelTiers.StarterModel(catalog);
        if (result.GetValue(s_json))
        {
            var document = new RecommendDocument(usable, hardware.Source, choice.Recommended is { } r ? Row(r, choice.Fit, onDisk) : null, choice.Reason,
                [.. choice.Alternatives.Select(a => Row(a.Entry, a.Fit, onDisk))], Row(starter, ModelTiers.FitOf(starter, usable), onDisk),
                choice.Recommended is { } pick ? Command(pick) : null);
            ui.Info(JsonSerializer.Serialize(document, RecommendJsonContext.Default.RecommendDocument));
            return ExitCodes.Ok;
        }

        ui.Info($"This machine offers {NodeCapacity.Describe(usable)} to models ({(result.GetValue(s_maxVram) is null ? hardware.Source : "--max-vram")}).");
        if (choice.Recommended is not { } recommended)
        {
            ui.Info($"No catalog model fits it: {choice.Reason}");
            ui.Info($"Join a mesh that serves one (mesh-llm --join TOKEN), or try the smallest: mesh-llm --model {starter.Name} --force");
            return ExitCodes.Ok;
        }

        ui.Info("");
        ui.Info($"Recommended: {recommended.Name}  ({NodeCapacity.Describe(recommended.SizeBytes)}, quality {recommended.Quality.Score:0.0}, draft {recommended.Draft ?? "none"})");
        ui.Info($"  why: {choice.Reason}");
        ui.Info($"  run: {Command(recommended)}");
        if (choice.Alternatives.Count > 0)
        {
            ui.Info("");
            ui.Info("Alternatives:");
            var rows = choice.Alternatives.Select(a => new[]
            {
                a.Entry.Name, NodeCapacity.Describe(a.Entry.SizeBytes), a.Entry.Quality.Score.ToString("0.0", System.Globalization.CultureInfo.InvariantCulture),
                FitText(a.Fit), a.Entry.Draft ?? "-", onDisk.Contains(a.Entry.Name) ? "yes" : "",
            });
            foreach (var line in Table.Format(["NAME", "SIZE", "QUALITY", "FIT", "DRAFT", "ON DISK"], rows, rightAligned: [1, 2]))
            {
                ui.Info("  " + line);
            }
        }

        ui.Info("");
        ui.Info($"First run? The starter {starter.Name} ({NodeCapacity.Describe(starter.SizeBytes)}) downloads in moments: mesh-llm --model {starter.Name}");
        return ExitCodes.Ok;
    }

    private static string Command(CatalogEntry entry) => $"mesh-llm --model {entry.Name}";

    private static string FitText(TierFit fit) => fit switch
    {
        TierFit.Fits => "fits",
        TierFit.Tight => "tight (little room for context)",
        _ => "too big here (a mesh can split it)",
    };

    private static RecommendRow Row(CatalogEntry entry, TierFit fit, HashSet<string> onDisk) =>
        new(entry.Name, entry.SizeBytes, entry.Quality.Score, fit.ToString().ToLowerInvariant(), entry.Draft, onDisk.Contains(entry.Name));
}

internal sealed record RecommendRow(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("size_bytes")] long SizeBytes,
    [property: JsonPropertyName("quality")] double Quality,
    [property: JsonPropertyName("fit")] string Fit,
    [property: JsonPropertyName("draft")] string? Draft,
    [property: JsonPropertyName("on_disk")] bool OnDisk);

internal sealed record RecommendDocument(
    [property: JsonPropertyName("usable_bytes")] long UsableBytes,
    [property: JsonPropertyName("source")] string Source,
    [property: JsonPropertyName("recommended")] RecommendRow? Recommended,
    [property: JsonPropertyName("reason")] string Reason,
    [property: JsonPropertyName("alternatives")] IReadOnlyList<RecommendRow> Alternatives,
    [property: JsonPropertyName("starter")] RecommendRow Starter,
    [property: JsonPropertyName("command")] string? Command);

[JsonSerializable(typeof(RecommendDocument))]
[JsonSourceGenerationOptions(WriteIndented = true)]
internal sealed partial class RecommendJsonContext : JsonSerializerContext;
