namespace MeshLlm.Models;

/// <summary>Matches a model name against the catalog and the models on disk without guessing (see <see cref="ModelResolver"/>).</summary>
/// <remarks>Names are compared as lower-case parts split at <c>-</c>, <c>_</c>, <c>.</c> and spaces, so "Qwen3-8B" is a prefix
/// of "Qwen3-8B-Q4_K_M" but "Qwen3-3" is not a prefix of "Qwen3-32B", and "8B" is a part of every 8B model.</remarks>
internal static class NameMatcher
{
    private const int MaxSuggestions = 5;
    private const int MaxListed = 8;
    private static readonly char[] s_separators = ['-', '_', '.', ' '];

    /// <summary>Something a name can resolve to, with every string that names it.</summary>
    private sealed record Target(string Name, IReadOnlyList<string> Aliases, IReadOnlyList<string> LocalNames, Resolution Result)
    {
        public IEnumerable<string> Keys => Aliases.Prepend(Name).Concat(LocalNames);
    }

    public static Resolution Match(string text, ModelCatalog catalog, IReadOnlyList<LocalModel> onDisk)
    {
        var targets = Targets(catalog, onDisk);
        var exact = targets.FirstOrDefault(t => Same(t.Name, text))
            ?? targets.FirstOrDefault(t => t.LocalNames.Any(n => Same(n, text)))
            ?? targets.FirstOrDefault(t => t.Aliases.Any(a => Same(a, text)));
        if (exact is not null)
        {
            return exact.Result;
        }

        var parts = Parts(text);
        if (parts.Length == 0)
        {
            return NotFound(text, targets);
        }

        foreach (var rule in new Func<string[], string[], bool>[] { StartsWith, Contains })
        {
            var matches = targets.Where(t => t.Keys.Any(k => rule(Parts(k), parts))).ToList();
            if (matches.Count == 1)
            {
                return matches[0].Result;
            }

            if (matches.Count > 1)
            {
                var names = matches.Select(m => m.Name).Order(StringComparer.OrdinalIgnoreCase).ToList();
                var listed = string.Join(", ", names.Take(MaxListed)) + (names.Count > MaxListed ? $" and {names.Count - MaxListed} more" : "");
                return new Resolution.Ambiguous($"'{text}' matches {names.Count} models: {listed}. Give more of the name.", names);
            }
        }

        return NotFound(text, targets);
    }

    private static List<Target> Targets(ModelCatalog catalog, IReadOnlyList<LocalModel> onDisk)
    {
        var localOf = onDisk.ToLookup(m => catalog.FindLocal(m.Name));
        var targets = catalog.Models
            .Select(e => new Target(e.Name, e.Aliases, [.. localOf[e].Select(m => m.Name)], new Resolution.CatalogModel(e)))
            .ToList();
        targets.AddRange(onDisk.Where(m => catalog.FindLocal(m.Name) is null)
            .OrderBy(m => m.Name, StringComparer.Ordinal)
            .Select(m => new Target(m.Name, [], [], new Resolution.LocalFile(m.Path))));
        return targets;
    }

    private static Resolution.NotFound NotFound(string text, List<Target> targets)
    {
        var input = text.ToLowerInvariant();
        var parts = Parts(text);
        var suggestions = targets
            .Select(t => (t.Name, Distance: t.Keys.Min(k => Distance(input, k.ToLowerInvariant())), Shared: t.Keys.Any(k => SharesPart(Parts(k), parts))))
            .Where(s => s.Distance <= Math.Max(2, input.Length / 3) || s.Shared)
            .OrderBy(s => s.Distance).ThenBy(s => s.Name, StringComparer.OrdinalIgnoreCase)
            .Take(MaxSuggestions)
            .Select(s => s.Name)
            .ToList();
        var hint = suggestions.Count > 0 ? $" Did you mean {string.Join(", ", suggestions)}?" : "";
        return new Resolution.NotFound(
            $"No model named '{text}' in the catalog or on disk.{hint} Pass a catalog name (docs/MODELS.md), a .gguf file path, or ORG/REPO/FILE.gguf from Hugging Face.",
            suggestions);
    }

    private static bool Same(string a, string b) => string.Equals(a, b, StringComparison.OrdinalIgnoreCase);

    private static string[] Parts(string name) => name.ToLowerInvariant().Split(s_separators, StringSplitOptions.RemoveEmptyEntries);

    private static bool StartsWith(string[] key, string[] parts) => parts.Length <= key.Length && key.Take(parts.Length).SequenceEqual(parts);

    private static bool Contains(string[] key, string[] parts) =>
        Enumerable.Range(0, Math.Max(0, key.Length - parts.Length + 1)).Any(i => key.Skip(i).Take(parts.Length).SequenceEqual(parts));

    /// <summary>A part of three or more characters in common (short parts like "q4" or "it" say little).</summary>
    private static bool SharesPart(string[] key, string[] parts) => parts.Any(p => p.Length >= 3 && key.Contains(p));

    /// <summary>Edit distance to the key or to its start, whichever is closer (so "qwen3-1" is near "qwen3-14b-q4_k_m").</summary>
    private static int Distance(string input, string key) =>
        Math.Min(Levenshtein(input, key), key.Length > input.Length ? Levenshtein(input, key[..input.Length]) + 1 : int.MaxValue);

    private static int Levenshtein(string a, string b)
    {
        var previous = new int[b.Length + 1];
        var current = new int[b.Length + 1];
        for (var j = 0; j <= b.Length; j++)
        {
            previous[j] = j;
        }

        for (var i = 1; i <= a.Length; i++)
        {
            current[0] = i;
            for (var j = 1; j <= b.Length; j++)
            {
                current[j] = Math.Min(Math.Min(current[j - 1], previous[j]) + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
            }

            (previous, current) = (current, previous);
        }

        return previous[b.Length];
    }
}
