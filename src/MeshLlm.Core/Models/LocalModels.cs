namespace MeshLlm.Models;

/// <summary>A GGUF model file on this machine.</summary>
public sealed record LocalModel(string Name, string Path, long SizeBytes, bool IsDraft);

/// <summary>
/// The models on disk: every <c>*.gguf</c> in the models folder (<c>MESH_LLM_MODELS_DIR</c>, else
/// <c>~/.models</c>), one entry per model (split parts are summed under one name).
/// </summary>
public static class LocalModels
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

    /// <summary>Whether the model named <paramref name="name"/> is only a draft (never assigned as a main model), by the
    /// process's catalog (<see cref="ModelCatalog.Shared"/>).</summary>
    public static bool IsDraft(string name) => IsDraft(name, ModelCatalog.Shared);

    /// <summary>Whether <paramref name="name"/> is a draft: the catalog's <c>is_draft</c> where it knows the model (by name
    /// or by file name), else the draft name prefixes.</summary>
    public static bool IsDraft(string name, ModelCatalog catalog) =>
        catalog.FindLocal(name) is { } entry ? entry.IsDraft : s_draftPrefixes.Any(p => name.StartsWith(p, StringComparison.OrdinalIgnoreCase));

    /// <summary>The models in <paramref name="folder"/> (default <see cref="Folder"/>), by name; an absent folder has none.</summary>
    public static IReadOnlyList<LocalModel> Scan(string? folder = null)
    {
        folder ??= Folder;
        if (!Directory.Exists(folder))
        {
            return [];
        }

        return [.. Directory.EnumerateFiles(folder, "*.gguf", new EnumerationOptions { RecurseSubdirectories = true, IgnoreInaccessible = true, MaxRecursionDepth = 3 })
            .Select(path => (Path: path, Name: ModelName.FromPath(path), Size: new FileInfo(path).Length))
            .GroupBy(f => f.Name, StringComparer.Ordinal)
            .Select(g => new LocalModel(g.Key, g.OrderBy(f => f.Path, StringComparer.Ordinal).First().Path, g.Sum(f => f.Size), IsDraft(g.Key)))
            .OrderBy(m => m.Name, StringComparer.Ordinal)];
    }
}
