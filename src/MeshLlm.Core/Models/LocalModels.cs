using System.Globalization;
using System.Text.RegularExpressions;

namespace MeshLlm.Models;

/// <summary>A GGUF model file on this machine (<see cref="Path"/> is its first part when split).</summary>
public sealed record LocalModel(string Name, string Path, long SizeBytes, bool IsDraft);

/// <summary>
/// The models on disk: every <c>*.gguf</c> in the models folder (<c>MESH_LLM_MODELS_DIR</c>, else <c>~/.models</c>)
/// and in the Hugging Face hub cache's snapshots (<c>HF_HUB_CACHE</c>, else <c>HF_HOME/hub</c>, else
/// <c>~/.cache/huggingface/hub</c>), one entry per model: split parts are summed under one name, and a split
/// model with a part missing is not listed (nor are <c>.part</c> downloads, which do not end in <c>.gguf</c>).
/// </summary>
public static partial class LocalModels
{
    /// <summary>Name prefixes of well-known draft models, for files the catalog does not know (renamed or fetched by URL).</summary>
    private static readonly string[] s_draftPrefixes = ["Qwen2.5-0.5B", "Qwen3-0.6B", "Llama-3.2-1B", "gemma-3-1b", "Gemma-3-1B"];

    public static string Folder
    {
        get
        {
            var folder = Environment.GetEnvironmentVariable("MESH_LLM_MODELS_DIR");
            return string.IsNullOrWhiteSpace(folder)
                ? System.IO.Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".models")
                : System.IO.Path.GetFullPath(folder);
        }
    }

    /// <summary>The Hugging Face hub cache folder (it may not exist).</summary>
    public static string HubCache
    {
        get
        {
            if (Environment.GetEnvironmentVariable("HF_HUB_CACHE") is { Length: > 0 } cache)
            {
                return cache;
            }

            return Environment.GetEnvironmentVariable("HF_HOME") is { Length: > 0 } home
                ? System.IO.Path.Combine(home, "hub")
                : System.IO.Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "huggingface", "hub");
        }
    }

    /// <summary>Whether the model named <paramref name="name"/> is only a draft (never assigned as a main model), by the
    /// process's catalog (<see cref="ModelCatalog.Shared"/>).</summary>
    public static bool IsDraft(string name) => IsDraft(name, ModelCatalog.Shared);

    /// <summary>Whether <paramref name="name"/> is a draft: the catalog's <c>is_draft</c> where it knows the model (by name
    /// or by file name), else the draft name prefixes.</summary>
    public static bool IsDraft(string name, ModelCatalog catalog) =>
        catalog.FindLocal(name) is { } entry ? entry.IsDraft : s_draftPrefixes.Any(p => name.StartsWith(p, StringComparison.OrdinalIgnoreCase));

    /// <summary>The models in <paramref name="folder"/> (default: the models folder and the hub cache), by name; absent folders have none.</summary>
    public static IReadOnlyList<LocalModel> Scan(string? folder = null) => folder is null ? Scan(Folder, HubCache) : Scan(folder, null);

    /// <summary>The models in <paramref name="folder"/> and, when given, the snapshots of the hub cache <paramref name="hubCache"/>.</summary>
    public static IReadOnlyList<LocalModel> Scan(string folder, string? hubCache)
    {
        var files = Files(folder, 3).Concat(hubCache is null ? [] : HubSnapshots(hubCache).SelectMany(s => Files(s, 3)));
        return [.. files
            .Select(path => (Path: path, Name: ModelName.FromPath(path), Size: SizeOf(path)))
            .Where(f => f.Size > 0)
            .GroupBy(f => f.Name, StringComparer.Ordinal)
            .Select(g => g.DistinctBy(f => System.IO.Path.GetFileName(f.Path), StringComparer.Ordinal).ToList())
            .Where(IsComplete)
            .Select(g => new LocalModel(g[0].Name, g.OrderBy(f => f.Path, StringComparer.Ordinal).First().Path, g.Sum(f => f.Size), IsDraft(g[0].Name)))
            .OrderBy(m => m.Name, StringComparer.Ordinal)];
    }

    /// <summary>A split model is complete when parts 1..N of N are all there; a single file always is.</summary>
    private static bool IsComplete(IReadOnlyList<(string Path, string Name, long Size)> files)
    {
        var parts = files.Select(f => SplitPart().Match(System.IO.Path.GetFileName(f.Path))).Where(m => m.Success).ToList();
        if (parts.Count == 0)
        {
            return true;
        }

        var total = int.Parse(parts[0].Groups[2].Value, CultureInfo.InvariantCulture);
        return parts.Select(m => int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture)).Distinct().Count() == total;
    }

    private static IEnumerable<string> Files(string folder, int depth) =>
        Directory.Exists(folder)
            ? Directory.EnumerateFiles(folder, "*.gguf", new EnumerationOptions { RecurseSubdirectories = true, IgnoreInaccessible = true, MaxRecursionDepth = depth })
            : [];

    /// <summary><c>models--ORG--REPO/snapshots/REV</c> folders of the hub cache.</summary>
    private static IEnumerable<string> HubSnapshots(string cache) => Directory.Exists(cache)
            ? Directory.EnumerateDirectories(cache, "models--*").SelectMany(repo =>
                Directory.Exists(System.IO.Path.Combine(repo, "snapshots")) ? Directory.EnumerateDirectories(System.IO.Path.Combine(repo, "snapshots")) : [])
            : [];

    /// <summary>The file's size; the hub cache's snapshot entries are links to blobs, so links are followed (0 when broken).</summary>
    private static long SizeOf(string path)
    {
        try
        {
            var info = new FileInfo(path);
            return info.LinkTarget is null ? info.Length : File.ResolveLinkTarget(path, returnFinalTarget: true) is FileInfo { Exists: true } target ? target.Length : 0;
        }
        catch (IOException)
        {
            return 0;
        }
    }

    [GeneratedRegex(@"-(\d{5})-of-(\d{5})\.gguf$", RegexOptions.CultureInvariant | RegexOptions.IgnoreCase)]
    private static partial Regex SplitPart();
}
