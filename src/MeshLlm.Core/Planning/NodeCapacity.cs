using System.Globalization;
using MeshLlm.Models;
using Microsoft.Extensions.Options;

namespace MeshLlm.Planning;

/// <summary>
/// The memory this node offers models: what <see cref="HardwareDetector"/> found (GPU memory, Apple's unified
/// share, or a share of RAM), capped by <c>--max-vram</c>. Announced to the mesh and used by every fit and split
/// decision, so every node decides with the number the others see. Detected once per process.
/// </summary>
public sealed class NodeCapacity(IOptions<PlanningOptions> options)
{
    private static readonly Lazy<HardwareReport> s_hardware = new(() => Task.Run(() => HardwareDetector.DetectAsync(CancellationToken.None)).GetAwaiter().GetResult());

    /// <summary>What detection found (the tools run once, at first use).</summary>
    public static HardwareReport Hardware => s_hardware.Value;

    public long UsableBytes => Cap(Hardware.UsableBytes, options.Value.MaxVramGb);

    /// <summary><paramref name="detected"/> capped at <paramref name="maxGb"/> × 10⁹ bytes; a cap above it changes nothing.</summary>
    public static long Cap(long detected, double? maxGb) =>
        maxGb is { } gb ? Math.Min(detected, (long)Math.Floor(gb * 1e9)) : detected;

    /// <summary>Bytes for people: GB with one decimal, or MB / KB for small amounts (test models are tiny).</summary>
    public static string Describe(long bytes) => Math.Abs(bytes) switch
    {
        >= 1_000_000_000 => (bytes / 1e9).ToString("0.0", CultureInfo.InvariantCulture) + " GB",
        >= 1_000_000 => (bytes / 1e6).ToString("0.0", CultureInfo.InvariantCulture) + " MB",
        _ => (bytes / 1e3).ToString("0.0", CultureInfo.InvariantCulture) + " KB",
    };
}
