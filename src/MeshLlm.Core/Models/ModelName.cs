using System.Text.RegularExpressions;

namespace MeshLlm.Models;

/// <summary>Derives a model's public name from its file: the file name without <c>.gguf</c> and without a split-part suffix.</summary>
public static partial class ModelName
{
    [GeneratedRegex(@"-\d{5}-of-\d{5}$", RegexOptions.CultureInvariant)]
    private static partial Regex SplitSuffix();

    /// <summary><c>/m/Qwen3-8B-Q4_K_M-00001-of-00002.gguf</c> → <c>Qwen3-8B-Q4_K_M</c>.</summary>
    public static string FromPath(string path)
    {
        var name = Path.GetFileName(path);
        if (name.EndsWith(".gguf", StringComparison.OrdinalIgnoreCase))
        {
            name = name[..^5];
        }

        return SplitSuffix().Replace(name, "");
    }
}
