using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Serialization;
using MeshLlm.Hosting;
using MeshLlm.Models;
using MeshLlm.Planning;

namespace MeshLlm.Commands;

/// <summary><c>mesh-llm gpus</c>: what hardware detection found and the memory this machine offers models.</summary>
internal static class GpusCommand
{
    private static readonly Option<bool> s_json = new("--json") { Description = "Print JSON for scripts." };

    private static readonly Option<double?> s_maxVram = new("--max-vram")
    {
        Description = "Show the memory offered with this cap, in GB (as `mesh-llm --max-vram` would).",
        HelpName = "GB",
    };

    public static Command Create()
    {
        var command = new Command("gpus", "Show the GPUs found (nvidia-smi, rocm-smi, Apple unified memory) or, without one, the RAM share used for CPU inference.");
        command.Options.Add(s_json);
        command.Options.Add(s_maxVram);
        command.SetAction(Run);
        return command;
    }

    private static int Run(ParseResult result)
    {
        var ui = new TerminalConsoleUi();
        var cap = result.GetValue(s_maxVram);
        if (cap is <= 0)
        {
            ui.Error("--max-vram must be a positive number of GB, e.g. 24 or 0.5.");
            return ExitCodes.Usage;
        }

        var hardware = NodeCapacity.Hardware;
        var usable = NodeCapacity.Cap(hardware.UsableBytes, cap);
        if (result.GetValue(s_json))
        {
            var document = new GpusDocument(
                [.. hardware.Gpus.Select(g => new GpuDocument(g.Vendor, g.Name, g.MemoryBytes))], hardware.RamBytes, hardware.UsableBytes, usable, hardware.Source);
            ui.Info(JsonSerializer.Serialize(document, GpusJsonContext.Default.GpusDocument));
            return ExitCodes.Ok;
        }

        foreach (var gpu in hardware.Gpus)
        {
            ui.Info($"{gpu.Vendor,-7} {gpu.Name,-32} {NodeCapacity.Describe(gpu.MemoryBytes),10}");
        }

        ui.Info($"RAM      {NodeCapacity.Describe(hardware.RamBytes)}");
        ui.Info($"Offered  {NodeCapacity.Describe(usable)} to models ({hardware.Source}{(cap is { } c && usable < hardware.UsableBytes ? $", capped by --max-vram {c}" : "")})");
        return ExitCodes.Ok;
    }
}

internal sealed record GpuDocument(
    [property: JsonPropertyName("vendor")] string Vendor,
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("memory_bytes")] long MemoryBytes);

internal sealed record GpusDocument(
    [property: JsonPropertyName("gpus")] IReadOnlyList<GpuDocument> Gpus,
    [property: JsonPropertyName("ram_bytes")] long RamBytes,
    [property: JsonPropertyName("detected_bytes")] long DetectedBytes,
    [property: JsonPropertyName("usable_bytes")] long UsableBytes,
    [property: JsonPropertyName("source")] string Source);

[JsonSerializable(typeof(GpusDocument))]
[JsonSourceGenerationOptions(WriteIndented = true)]
internal sealed partial class GpusJsonContext : JsonSerializerContext;
