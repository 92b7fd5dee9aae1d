using System.Globalization;
using MeshLlm.Inference.Processes;

namespace MeshLlm.Models;

/// <summary>One accelerator found on this machine.</summary>
public sealed record GpuInfo(string Vendor, string Name, long MemoryBytes);

/// <summary>
/// What this machine offers models: its GPUs (their memory summed), else Apple's unified memory share, else a share of
/// RAM for CPU-only inference. <see cref="Source"/> says which, for <c>mesh-llm gpus</c> and logs.
/// </summary>
public sealed record HardwareReport(IReadOnlyList<GpuInfo> Gpus, long RamBytes, long UsableBytes, string Source);

/// <summary>
/// Hardware detection: NVIDIA (<c>nvidia-smi</c>), AMD (<c>rocm-smi</c>), Apple (unified memory), else CPU-only.
/// Parsing is pure and tested on captured outputs; only <see cref="DetectAsync"/> runs the tools.
/// </summary>
public static class HardwareDetector
{
    /// <summary>Share of RAM a model may use on a machine without a GPU, and of unified memory on Apple silicon.</summary>
    public const double RamShare = 0.75;

    private static string Percent => (RamShare * 100).ToString("0", CultureInfo.InvariantCulture) + "%";

    private static readonly TimeSpan s_probeTimeout = TimeSpan.FromSeconds(10);

    public static async Task<HardwareReport> DetectAsync(CancellationToken cancellationToken)
    {
        var ram = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;
        if (OperatingSystem.IsMacOS())
        {
            return Apple(ram);
        }

        if (CommandRunner.OnPath("nvidia-smi") is { } nvidia
            && ParseNvidiaSmi(await CommandRunner.RunAsync(nvidia, ["--query-gpu=name,memory.total", "--format=csv,noheader,nounits"], s_probeTimeout, cancellationToken)) is { Count: > 0 } nv)
        {
            return Gpus(nv, ram, "nvidia-smi");
        }

        if (CommandRunner.OnPath("rocm-smi") is { } rocm
            && ParseRocmSmi(await CommandRunner.RunAsync(rocm, ["--showmeminfo", "vram", "--csv"], s_probeTimeout, cancellationToken)) is { Count: > 0 } amd)
        {
            return Gpus(amd, ram, "rocm-smi");
        }

        return CpuOnly(ram);
    }

    public static HardwareReport Gpus(IReadOnlyList<GpuInfo> gpus, long ram, string tool) =>
        new(gpus, ram, gpus.Sum(g => g.MemoryBytes), $"{gpus.Count} GPU(s) from {tool}");

    public static HardwareReport Apple(long ram) =>
        new([new GpuInfo("Apple", "unified memory", (long)(ram * RamShare))], ram, (long)(ram * RamShare), $"Apple unified memory, {Percent} of RAM");

    public static HardwareReport CpuOnly(long ram) =>
        new([], ram, (long)(ram * RamShare), $"no GPU found: CPU inference, {Percent} of RAM");

    /// <summary><c>nvidia-smi --query-gpu=name,memory.total --format=csv,noheader,nounits</c>: one "name, MiB" line per GPU.</summary>
    public static IReadOnlyList<GpuInfo> ParseNvidiaSmi(string? output)
    {
        var gpus = new List<GpuInfo>();
        foreach (var line in Lines(output))
        {
            var comma = line.LastIndexOf(',');
            if (comma > 0 && long.TryParse(line[(comma + 1)..].Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var mib) && mib > 0)
            {
                gpus.Add(new GpuInfo("NVIDIA", line[..comma].Trim(), mib * 1024 * 1024));
            }
        }

        return gpus;
    }

    /// <summary><c>rocm-smi --showmeminfo vram --csv</c>: a header with "VRAM Total Memory (B)", then one line per card.</summary>
    public static IReadOnlyList<GpuInfo> ParseRocmSmi(string? output)
    {
        var lines = Lines(output).Where(l => l.Contains(',', StringComparison.Ordinal)).ToList();
        var header = lines.FindIndex(l => l.Contains("VRAM Total Memory", StringComparison.OrdinalIgnoreCase));
        if (header < 0)
        {
            return [];
        }

        var columns = lines[header].Split(',');
        var total = Array.FindIndex(columns, c => c.Contains("VRAM Total Memory", StringComparison.OrdinalIgnoreCase));
        var gpus = new List<GpuInfo>();
        foreach (var line in lines.Skip(header + 1))
        {
            var cells = line.Split(',');
            if (cells.Length > total && long.TryParse(cells[total].Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var bytes) && bytes > 0)
            {
                gpus.Add(new GpuInfo("AMD", cells[0].Trim(), bytes));
            }
        }

        return gpus;
    }

    private static IEnumerable<string> Lines(string? output) =>
        (output ?? "").Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0);
}
