namespace MeshLlm.Models;

/// <summary>The catalog could not be read: the message names the file and what is wrong with it.</summary>
/// <remarks>Its own type so the command line can tell a bad <c>MESH_LLM_CATALOG</c> (a configuration error) from a bug.</remarks>
public sealed class ModelCatalogException : Exception
{
    public ModelCatalogException(string message, string catalogSource, Exception? inner = null)
        : base(message, inner) => CatalogSource = catalogSource;

    /// <summary>The file that was read, or <c>embedded catalog</c>.</summary>
    public string CatalogSource { get; }
}
