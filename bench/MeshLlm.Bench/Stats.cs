namespace MeshLlm.Bench;

/// <summary>Medians, interleaved rounds and Markdown tables shared by the scenarios.</summary>
internal static class Stats
{
    public static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length == 0 ? 0 : sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
    }

    /// <summary>
    /// Runs <paramref name="rounds"/> rounds; each measures every target once, one at a time, starting with the
    /// next target each round, so drift on a noisy VM hits all targets alike. Returns the samples per target.
    /// </summary>
    public static async Task<List<T>[]> InterleavedAsync<T>(int rounds, int targets, Func<int, int, Task<T>> measure)
    {
        var samples = Enumerable.Range(0, targets).Select(_ => new List<T>()).ToArray();
        for (var round = 0; round < rounds; round++)
        {
            for (var k = 0; k < targets; k++)
            {
                var target = (round + k) % targets;
                samples[target].Add(await measure(target, round));
            }
        }

        return samples;
    }

    /// <summary>Writes a title line, a blank line and a Markdown table.</summary>
    public static void PrintTable(string title, IReadOnlyList<string> header, IEnumerable<IReadOnlyList<string>> rows)
    {
        global::System.Console.WriteLine(title);
        global::System.Console.WriteLine();
        global::System.Console.WriteLine($"| {string.Join(" | ", header)} |");
        global::System.Console.WriteLine($"|{string.Concat(header.Select(_ => "---|"))}");
        foreach (var row in rows)
        {
            global::System.Console.WriteLine($"| {string.Join(" | ", row)} |");
        }

        global::System.Console.WriteLine();
    }

    /// <summary>The 1, 5 and 15-minute load averages from /proc/loadavg.</summary>
    public static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "unknown";

    /// <summary>
    /// The spread of the per-round ratios a[i]/b[i] (samples of one round were taken back to back, so drift cancels):
    /// the middle half, e.g. <c>rounds 0.93–0.99</c>.
    /// </summary>
    public static string RoundSpread(IEnumerable<double> a, IEnumerable<double> b)
    {
        var ratios = a.Zip(b, (x, y) => y > 0 ? x / y : 0).Order().ToArray();
        return ratios.Length < 2 ? "" : $"rounds {ratios[(ratios.Length - 1) / 4]:F2}–{ratios[ratios.Length * 3 / 4]:F2}";
    }

    /// <summary>The ratio <paramref name="a"/>/<paramref name="b"/> with three decimals.</summary>
    public static string Ratio(double a, double b) => b > 0 ? $"{a / b:F3}" : "n/a";
}
