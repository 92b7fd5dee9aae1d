namespace MeshLlm.Models;

/// <summary>Decides what a <c>--model</c> argument names: a file, hub files, or a catalog or on-disk model by name.</summary>
/// <remarks>
/// Order, first match wins:
/// 1. an existing file path → <see cref="Resolution.LocalFile"/>;
/// 2. a <c>https://huggingface.co/ORG/REPO/resolve|blob/BRANCH/FILE.gguf</c> URL or the shorthand <c>ORG/REPO/FILE.gguf</c>
///    → <see cref="Resolution.HubFiles"/> (a split part expands to all parts), or <see cref="Resolution.CatalogModel"/> when
///    the files are exactly a catalog entry's, so a model fetched by URL still gets its draft;
/// 3. a name (<see cref="NameMatcher"/>): exact catalog name, exact on-disk name, exact alias, then a unique prefix of
///    whole name parts, then a unique run of whole parts anywhere in the name. Several matches at one step are
///    <see cref="Resolution.Ambiguous"/>: the original took the first substring in file order, so "32b" meant GLM-4-32B.
/// Pure apart from the file-existence check of step 1.
/// </remarks>
public static class ModelResolver
{
    private const string Forms = "a catalog name (docs/MODELS.md), a .gguf file path, or ORG/REPO/FILE.gguf from Hugging Face";

    public static Resolution Resolve(string input, ModelCatalog catalog, IReadOnlyList<LocalModel> onDisk)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentNullException.ThrowIfNull(onDisk);
        var text = input.Trim();
        if (text.Length == 0)
        {
            return new Resolution.NotFound($"No model given. Pass {Forms}.", []);
        }

        var path = ExpandHome(text);
        if (File.Exists(path))
        {
            return new Resolution.LocalFile(Path.GetFullPath(path));
        }

        if (HubPath.LooksLikeUrl(text))
        {
            return HubPath.TryParseUrl(text, out var url, out var urlError) ? FromHub(url, catalog) : new Resolution.NotFound(urlError, []);
        }

        if (LooksLikePath(text))
        {
            return new Resolution.NotFound($"File {Path.GetFullPath(path)} does not exist. Check the path, or pass {Forms}.", []);
        }

        if (HubPath.TryParseShorthand(text, out var reference, out var error))
        {
            return error is null ? FromHub(reference, catalog) : new Resolution.NotFound(error, []);
        }

        if (text.Contains('/', StringComparison.Ordinal))
        {
            return new Resolution.NotFound($"'{text}' names a repository, not a file. Add the file: ORG/REPO/FILE.gguf, e.g. unsloth/Qwen3-8B-GGUF/Qwen3-8B-Q4_K_M.gguf.", []);
        }

        return NameMatcher.Match(text, catalog, onDisk);
    }

    private static Resolution FromHub(HubPath.Reference reference, ModelCatalog catalog)
    {
        IReadOnlyList<string> paths = SplitPart.TryParse(reference.Path, out var part) ? part.AllParts() : [reference.Path];
        if (reference.Branch is null or "main")
        {
            var entry = catalog.Models.FirstOrDefault(m =>
                m.Files.All(f => string.Equals(f.Repo, reference.Repo, StringComparison.OrdinalIgnoreCase))
                && m.Files.Select(f => f.Path).SequenceEqual(paths, StringComparer.Ordinal));
            if (entry is not null)
            {
                return new Resolution.CatalogModel(entry);
            }
        }

        return new Resolution.HubFiles(reference.Repo, paths, reference.Branch);
    }

    /// <summary>Absolute, explicitly relative (<c>./</c>, <c>../</c>, <c>~/</c>), Windows-style, or a .gguf with fewer
    /// than the three segments of <c>ORG/REPO/FILE.gguf</c>.</summary>
    private static bool LooksLikePath(string text) =>
        Path.IsPathRooted(text) || text.StartsWith("./", StringComparison.Ordinal) || text.StartsWith("../", StringComparison.Ordinal)
        || text.StartsWith('~') || text.Contains('\\', StringComparison.Ordinal)
        || (text.EndsWith(".gguf", StringComparison.OrdinalIgnoreCase) && text.Split('/').Length < 3);

    private static string ExpandHome(string text) =>
        text == "~" || text.StartsWith("~/", StringComparison.Ordinal)
            ? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), text.TrimStart('~').TrimStart('/'))
            : text;
}
