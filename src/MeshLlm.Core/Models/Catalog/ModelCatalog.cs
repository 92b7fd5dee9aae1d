using System.Text.Json;

namespace MeshLlm.Models;

/// <summary>The models mesh-llm knows by name: the catalog built into the binary, or the file named by <c>MESH_LLM_CATALOG</c>.</summary>
/// <remarks>The catalog's schema, the quality score and the draft pairing are described in docs/MODELS.md.</remarks>
public sealed class ModelCatalog
{
    /// <summary>The environment variable that replaces the built-in catalog with a JSON file.</summary>
    public const string OverrideVariable = "MESH_LLM_CATALOG";

    /// <summary>The catalog format this build reads.</summary>
    public const int FormatVersion = 1;

    internal const string EmbeddedSource = "embedded catalog";
    private const string ResourceName = "MeshLlm.Models.catalog.json";

    private static readonly Lazy<ModelCatalog> s_shared = new(Load);

    public ModelCatalog(IReadOnlyList<CatalogEntry> models, string source)
    {
        Models = models;
        Source = source;
    }

    /// <summary>The entries, in file order.</summary>
    public IReadOnlyList<CatalogEntry> Models { get; }

    /// <summary>Where the entries came from: a file path, or <c>embedded catalog</c>.</summary>
    public string Source { get; }

    /// <summary>The process's catalog, loaded once on first use (<see cref="Load"/>).</summary>
    public static ModelCatalog Shared => s_shared.Value;

    /// <summary>Reads the file named by <c>MESH_LLM_CATALOG</c> when it is set, else the embedded catalog; either must be valid.</summary>
    /// <exception cref="ModelCatalogException">The file is missing, is not valid JSON for the schema, or fails <see cref="Validate"/>.</exception>
    public static ModelCatalog Load()
    {
        var path = Environment.GetEnvironmentVariable(OverrideVariable);
        return string.IsNullOrWhiteSpace(path) ? LoadEmbedded() : LoadFile(path);
    }

    /// <summary>The catalog built into the binary.</summary>
    public static ModelCatalog LoadEmbedded()
    {
        using var stream = typeof(ModelCatalog).Assembly.GetManifestResourceStream(ResourceName)
            ?? throw new InvalidOperationException($"The resource {ResourceName} is missing from MeshLlm.Core.");
        return Parse(stream, EmbeddedSource);
    }

    /// <summary>The catalog in <paramref name="path"/>.</summary>
    /// <exception cref="ModelCatalogException">The file is missing or unreadable, or its content is invalid.</exception>
    public static ModelCatalog LoadFile(string path)
    {
        var fullPath = System.IO.Path.GetFullPath(path);
        if (!File.Exists(fullPath))
        {
            throw new ModelCatalogException(
                $"Model catalog {fullPath} (from {OverrideVariable}) does not exist. Fix the path or unset {OverrideVariable} to use the built-in catalog.", fullPath);
        }

        try
        {
            using var stream = File.OpenRead(fullPath);
            return Parse(stream, fullPath);
        }
        catch (IOException e)
        {
            throw new ModelCatalogException($"Model catalog {fullPath} cannot be read: {e.Message}", fullPath, e);
        }
        catch (UnauthorizedAccessException e)
        {
            throw new ModelCatalogException($"Model catalog {fullPath} cannot be read: {e.Message}", fullPath, e);
        }
    }

    /// <summary>Parses and validates a catalog document; <paramref name="source"/> names it in error messages.</summary>
    internal static ModelCatalog Parse(Stream json, string source)
    {
        CatalogDocument? document;
        try
        {
            document = JsonSerializer.Deserialize(json, CatalogJsonContext.Default.CatalogDocument);
        }
        catch (JsonException e)
        {
            var where = e.Path is null ? "" : $" at {e.Path}" + (e.LineNumber is { } line ? $" (line {line + 1})" : "");
            throw new ModelCatalogException($"Model catalog {source} is not valid{where}: {FirstLine(e.Message)}", source, e);
        }

        if (document is null)
        {
            throw new ModelCatalogException($"Model catalog {source} is empty (null); it must be {{ \"version\": {FormatVersion}, \"models\": [...] }}.", source);
        }

        if (document.Version != FormatVersion)
        {
            throw new ModelCatalogException($"Model catalog {source} has version {document.Version}; this build reads version {FormatVersion}.", source);
        }

        var catalog = new ModelCatalog(document.Models, source);
        var problems = catalog.Validate();
        if (problems.Count > 0)
        {
            throw new ModelCatalogException($"Model catalog {source} has {problems.Count} problem(s): {string.Join("; ", problems)}", source);
        }

        return catalog;
    }

    /// <summary>The entry named <paramref name="exactName"/> (case-insensitive, since names are unique ignoring case), or null.</summary>
    public CatalogEntry? Find(string exactName) =>
        Models.FirstOrDefault(m => string.Equals(m.Name, exactName, StringComparison.OrdinalIgnoreCase));

    /// <summary>The entry a model file on disk is: by catalog name, else by the name of its first file (upstream names
    /// can differ, e.g. <c>gemma-3-1b-it-Q4_K_M</c> for <c>Gemma-3-1B-it-Q4_K_M</c>); null when unknown.</summary>
    public CatalogEntry? FindLocal(string localName) =>
        Find(localName) ?? Models.FirstOrDefault(m => m.Files.Count > 0 && string.Equals(ModelName.FromPath(m.Files[0].Path), localName, StringComparison.OrdinalIgnoreCase));

    /// <summary>Every broken invariant of the catalog, one line each; empty when it is valid.</summary>
    public IReadOnlyList<string> Validate() => CatalogValidator.Problems(Models);

    private static string FirstLine(string text) => text.Split('\n')[0].Trim();
}
