using System.Globalization;
using System.Text.RegularExpressions;

namespace MeshLlm.Inference.LlamaCpp;

/// <summary>
/// Every flag mesh-llm passes to llama.cpp, in one place, and the check that the installed binaries accept
/// them (their <c>--help</c>), so an old or odd build fails at start with the flag's name, not mid-load.
/// </summary>
public static partial class LlamaCppFlags
{
    /// <summary>llama-server flags used by <see cref="ServerArguments"/>.</summary>
    public static readonly IReadOnlyList<string> ServerFlags =
        ["-m", "--alias", "--host", "--port", "--ctx-size", "--parallel", "--threads", "--threads-batch", "--n-gpu-layers", "--no-webui", "--no-kv-unified"];

    /// <summary>Extra llama-server flags when a draft model is used.</summary>
    public static readonly IReadOnlyList<string> DraftFlags = ["--model-draft", "--gpu-layers-draft"];

    /// <summary>Extra llama-server flags when the model is split over rpc-servers.</summary>
    public static readonly IReadOnlyList<string> SplitFlags = ["--rpc", "--tensor-split"];

    /// <summary>rpc-server flags used by <see cref="RpcArguments"/>.</summary>
    public static readonly IReadOnlyList<string> RpcFlags = ["--host", "--port", "--cache", "--threads"];

    public static IReadOnlyList<string> ServerArguments(LlamaServerSettings s)
    {
        var args = new List<string>
        {
            "-m", s.ModelPath,
            "--alias", s.Alias,
            "--host", "127.0.0.1",
            "--port", Number(s.Port),
            // Total context across slots; with --no-kv-unified each slot gets exactly SlotContext tokens.
            "--ctx-size", Number(s.SlotContext * s.Parallel),
            "--parallel", Number(s.Parallel),
            "--threads", Number(s.Threads),
            "--threads-batch", Number(s.Threads),
            "--n-gpu-layers", Number(s.GpuLayers),
            "--no-webui",
            "--no-kv-unified",
        };
        if (s.DraftPath is not null)
        {
            args.AddRange(["--model-draft", s.DraftPath, "--gpu-layers-draft", Number(s.GpuLayers)]);
        }

        if (s.RpcServers is { Count: > 0 } rpc)
        {
            // Devices in --rpc order come first, then this machine's own GPU (if any): the split lists them alike.
            args.AddRange(["--rpc", string.Join(",", rpc), "--tensor-split", s.TensorSplit ?? ""]);
        }

        return args;
    }

    /// <summary>
    /// llama-server's <c>--rpc</c> list for a split: the partners' endpoints in order, then, on a machine without a
    /// GPU, this node's own rpc-server (its share runs there). Either way the list has one entry per share of
    /// <c>--tensor-split</c> that is not a local GPU.
    /// </summary>
    public static IReadOnlyList<string> SplitRpcList(IReadOnlyList<string> partners, string device, int? ownRpcPort) =>
        partners.Count > 0 && device == "cpu" && ownRpcPort is { } own ? [.. partners, $"127.0.0.1:{Number(own)}"] : partners;

    public static IReadOnlyList<string> RpcArguments(int port, int threads) =>
        ["--host", "127.0.0.1", "--port", Number(port), "--cache", "--threads", Number(threads)];

    /// <summary>Returns the flags from <paramref name="flags"/> that <paramref name="help"/> does not mention.</summary>
    public static IReadOnlyList<string> Missing(string help, IEnumerable<string> flags)
    {
        var offered = FlagToken().Matches(help).Select(m => m.Value).ToHashSet(StringComparer.Ordinal);
        return flags.Where(f => !offered.Contains(f)).ToList();
    }

    /// <summary>The version line of <c>--version</c> output, e.g. <c>version: 0.7.0 (build 11669, commit Debian)</c>.</summary>
    public static string Version(string versionOutput) =>
        versionOutput.Split('\n').Select(l => l.Trim()).FirstOrDefault(l => l.StartsWith("version:", StringComparison.Ordinal))
        ?? "unknown version";

    private static string Number(int value) => value.ToString(CultureInfo.InvariantCulture);

    [GeneratedRegex(@"(?<![\w-])--?[a-zA-Z][\w-]*", RegexOptions.CultureInvariant)]
    private static partial Regex FlagToken();
}

/// <summary>
/// What one llama-server run needs. <c>RpcServers</c>: loopback <c>host:port</c> of each rpc-server to split over,
/// in order (none for a solo run); <c>TensorSplit</c>: one share per device in <c>--rpc</c> order, then this
/// machine's GPU.
/// </summary>
public sealed record LlamaServerSettings(
    string ModelPath, string Alias, int Port, int SlotContext, int Parallel, int Threads, int GpuLayers, string? DraftPath,
    IReadOnlyList<string>? RpcServers = null, string? TensorSplit = null);
