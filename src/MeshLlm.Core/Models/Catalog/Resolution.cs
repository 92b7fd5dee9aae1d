namespace MeshLlm.Models;

/// <summary>What a <c>--model</c> argument names, as decided by <see cref="ModelResolver"/>: one of the nested records.</summary>
public abstract record Resolution
{
    private Resolution()
    {
    }

    /// <summary>A GGUF file on this machine (an existing path, or a model found on disk that the catalog does not know).</summary>
    public sealed record LocalFile(string Path) : Resolution;

    /// <summary>A catalog model (by name, alias, unique prefix, or a hub reference to exactly its files).</summary>
    public sealed record CatalogModel(CatalogEntry Entry) : Resolution;

    /// <summary>Files on the Hugging Face hub, split parts expanded in order; <see cref="Branch"/> null means the default branch.</summary>
    public sealed record HubFiles(string Repo, IReadOnlyList<string> Paths, string? Branch) : Resolution;

    /// <summary>The input matches several models; <see cref="Candidates"/> are their names, sorted. Nothing was guessed.</summary>
    public sealed record Ambiguous(string Message, IReadOnlyList<string> Candidates) : Resolution;

    /// <summary>Nothing matches; <see cref="Message"/> is one line saying why and what to do, <see cref="Suggestions"/> up to 5 near names.</summary>
    public sealed record NotFound(string Message, IReadOnlyList<string> Suggestions) : Resolution;
}
