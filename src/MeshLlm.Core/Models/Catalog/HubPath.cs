namespace MeshLlm.Models;

/// <summary>Reads Hugging Face references: <c>https://huggingface.co/ORG/REPO/resolve/BRANCH/FILE.gguf</c>, the
/// <c>/blob/</c> form, and the shorthand <c>ORG/REPO/FILE.gguf</c> (or <c>ORG/REPO/resolve/BRANCH/FILE.gguf</c>).</summary>
internal static class HubPath
{
    private static readonly string[] s_hosts = ["huggingface.co", "www.huggingface.co", "hf.co"];

    /// <summary>A parsed reference: the repo, the file path in it and the branch (null = the default branch).</summary>
    public readonly record struct Reference(string Repo, string Path, string? Branch);

    public static bool LooksLikeUrl(string input) =>
        input.StartsWith("http://", StringComparison.OrdinalIgnoreCase) || input.StartsWith("https://", StringComparison.OrdinalIgnoreCase);

    /// <summary>Parses a hub URL; on failure <paramref name="error"/> says what is wrong and how to write it instead.</summary>
    public static bool TryParseUrl(string input, out Reference reference, out string error)
    {
        reference = default;
        if (!Uri.TryCreate(input, UriKind.Absolute, out var uri) || !s_hosts.Contains(uri.Host, StringComparer.OrdinalIgnoreCase))
        {
            error = $"'{input}' is not a Hugging Face URL. Use https://huggingface.co/ORG/REPO/resolve/main/FILE.gguf, ORG/REPO/FILE.gguf, a file path or a catalog name.";
            return false;
        }

        var segments = uri.AbsolutePath.Split('/', StringSplitOptions.RemoveEmptyEntries).Select(Uri.UnescapeDataString).ToArray();
        if (segments.Length >= 5 && segments[2] is "resolve" or "blob")
        {
            return TryBuild(segments[0], segments[1], segments[3], segments[4..], input, out reference, out error);
        }

        error = $"'{input}' does not name a file. Use https://huggingface.co/ORG/REPO/resolve/BRANCH/FILE.gguf (copy the link of the file, not of the repo).";
        return false;
    }

    /// <summary>Parses <c>ORG/REPO/PATH.gguf</c>; false (with no error) when the input is not of that shape at all.</summary>
    public static bool TryParseShorthand(string input, out Reference reference, out string? error)
    {
        reference = default;
        error = null;
        var segments = input.Split('/');
        if (segments.Length < 3 || input.Contains('\\', StringComparison.Ordinal) || segments.Any(string.IsNullOrEmpty))
        {
            return false;
        }

        if (segments.Length >= 5 && segments[2] is "resolve" or "blob")
        {
            var ok = TryBuild(segments[0], segments[1], segments[3], segments[4..], input, out reference, out var e);
            error = ok ? null : e;
            return true;
        }

        var built = TryBuild(segments[0], segments[1], null, segments[2..], input, out reference, out var problem);
        error = built ? null : problem;
        return true;
    }

    /// <summary>A relative path with no empty, <c>.</c> or <c>..</c> segments and no backslashes.</summary>
    public static bool IsSafeFilePath(string path) =>
        path.Length > 0 && !path.Contains('\\', StringComparison.Ordinal)
        && path.Split('/').All(s => s.Length > 0 && s != "." && s != "..");

    private static bool TryBuild(string org, string repo, string? branch, string[] fileSegments, string input, out Reference reference, out string error)
    {
        reference = default;
        var path = string.Join('/', fileSegments);
        if (!IsSafeFilePath(path) || !path.EndsWith(".gguf", StringComparison.OrdinalIgnoreCase))
        {
            error = $"'{input}' does not end in a .gguf file. Name the file: ORG/REPO/FILE.gguf (folders allowed), e.g. unsloth/Qwen3-8B-GGUF/Qwen3-8B-Q4_K_M.gguf.";
            return false;
        }

        reference = new Reference(org + "/" + repo, path, branch);
        error = "";
        return true;
    }
}
