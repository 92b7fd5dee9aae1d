using System.Globalization;
using System.Text.RegularExpressions;

namespace MeshLlm.Models;

/// <summary>One part of a split GGUF, <c>&lt;prefix&gt;-0000k-of-0000N.gguf</c> (llama.cpp's gguf-split naming).</summary>
internal readonly partial record struct SplitPart(string Prefix, int Number, int Count, string Extension)
{
    [GeneratedRegex(@"^(?<prefix>.+)-(?<n>\d{5})-of-(?<c>\d{5})(?<ext>\.gguf)$", RegexOptions.CultureInvariant | RegexOptions.IgnoreCase)]
    private static partial Regex Pattern();

    /// <summary>Parses a file name or path (folders stay in <see cref="Prefix"/>); false when it is not a valid part name.</summary>
    public static bool TryParse(string path, out SplitPart part)
    {
        var match = Pattern().Match(path);
        if (match.Success)
        {
            var number = int.Parse(match.Groups["n"].Value, CultureInfo.InvariantCulture);
            var count = int.Parse(match.Groups["c"].Value, CultureInfo.InvariantCulture);
            if (number >= 1 && number <= count)
            {
                part = new SplitPart(match.Groups["prefix"].Value, number, count, match.Groups["ext"].Value);
                return true;
            }
        }

        part = default;
        return false;
    }

    /// <summary>The paths of every part of the same model, part 1 first.</summary>
    public IReadOnlyList<string> AllParts()
    {
        var self = this;
        return [.. Enumerable.Range(1, Count).Select(k => string.Create(CultureInfo.InvariantCulture, $"{self.Prefix}-{k:00000}-of-{self.Count:00000}{self.Extension}"))];
    }
}
