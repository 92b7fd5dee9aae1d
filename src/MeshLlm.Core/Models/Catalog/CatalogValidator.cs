using System.Globalization;
using System.Text.RegularExpressions;

namespace MeshLlm.Models;

/// <summary>The catalog's invariants, checked entry by entry and across entries; each problem is one line naming the entry.</summary>
internal static partial class CatalogValidator
{
    private static readonly HashSet<string> s_caps = ["chat", "code", "reasoning", "tools", "vision"];

    /// <summary>Plausible bits per parameter for each quantization (the file also holds higher-precision embeddings and
    /// norms, which is why small models sit at the top of the range).</summary>
    private static readonly Dictionary<string, (double Min, double Max)> s_bitsPerParam = new(StringComparer.OrdinalIgnoreCase)
    {
        ["Q2_K"] = (2.5, 4.5),
        ["Q3_K_M"] = (3.3, 5.5),
        ["Q4_0"] = (4.0, 6.5),
        ["Q4_K_M"] = (4.0, 7.0),
        ["Q5_K_M"] = (5.0, 7.5),
        ["Q6_K"] = (6.0, 8.5),
        ["Q8_0"] = (8.0, 9.5),
        ["MXFP4"] = (4.0, 5.5),
        ["F16"] = (15.5, 17.0),
        ["BF16"] = (15.5, 17.0),
    };

    private static readonly (double Min, double Max) s_anyQuant = (1.5, 17.0);

    [GeneratedRegex(@"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$", RegexOptions.CultureInvariant)]
    private static partial Regex SaneName();

    [GeneratedRegex(@"^[A-Za-z0-9][A-Za-z0-9_.-]*/[A-Za-z0-9_.-]+$", RegexOptions.CultureInvariant)]
    private static partial Regex RepoName();

    [GeneratedRegex(@"^[0-9a-f]{64}$", RegexOptions.CultureInvariant)]
    private static partial Regex Sha256Hex();

    public static IReadOnlyList<string> Problems(IReadOnlyList<CatalogEntry> models)
    {
        var problems = new List<string>();
        if (models.Count == 0)
        {
            problems.Add("the catalog has no models");
        }

        foreach (var entry in models)
        {
            CheckEntry(entry, problems);
            CheckFiles(entry, problems);
            CheckDraft(entry, models, problems);
        }

        CheckNames(models, problems);
        if (models.Count(m => m.Starter) > 1)
        {
            problems.Add($"more than one starter model: {string.Join(", ", models.Where(m => m.Starter).Select(m => m.Name))}");
        }

        return problems;
    }

    private static void CheckEntry(CatalogEntry e, List<string> problems)
    {
        void Problem(string what) => problems.Add($"{e.Name}: {what}");
        if (!SaneName().IsMatch(e.Name)) Problem("the name must be 1-100 letters, digits, '.', '_' or '-', starting with a letter or digit");
        if (string.IsNullOrWhiteSpace(e.Family) || !e.Family.All(c => !char.IsUpper(c))) Problem("family must be a lower-case tokenizer family name");
        if (!(e.ParamsB > 0)) Problem("params_b must be positive");
        if (e.ActiveParamsB is { } active && !(active > 0 && active <= e.ParamsB)) Problem("active_params_b must be positive and at most params_b");
        if (e.Context <= 0) Problem("context must be positive");
        if (e.Caps.Count == 0 || e.Caps.Any(c => !s_caps.Contains(c))) Problem($"caps must be a non-empty subset of {string.Join(", ", s_caps)}");
        if (e.Starter && e.IsDraft) Problem("a draft-only model cannot be the starter");
        CheckQuality(e.Quality, Problem);
        CheckSize(e, Problem);
    }

    private static void CheckQuality(CatalogQuality q, Action<string> problem)
    {
        if (!(q.Score is >= 0 and <= 100)) problem("quality.score must be between 0 and 100");
        if (string.IsNullOrWhiteSpace(q.Benchmark)) problem("quality.benchmark must name the benchmark or say 'estimate: why'");
        if (!DateOnly.TryParseExact(q.Date + "-01", "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out _)) problem("quality.date must be yyyy-MM");
        if (!Uri.TryCreate(q.Source, UriKind.Absolute, out var uri) || uri.Scheme != Uri.UriSchemeHttps) problem("quality.source must be an https URL");
    }

    private static void CheckSize(CatalogEntry e, Action<string> problem)
    {
        if (e.Files.Count == 0 || e.Files.Any(f => f.SizeBytes <= 0) || !(e.ParamsB > 0)) return;
        var bits = e.SizeBytes * 8.0 / (e.ParamsB * 1e9);
        var (min, max) = s_bitsPerParam.GetValueOrDefault(e.Quant, s_anyQuant);
        if (bits < min || bits > max)
        {
            problem($"{e.SizeBytes:N0} bytes is {bits:0.00} bits per parameter, implausible for {e.Quant} ({min}-{max}); check size_bytes, params_b and quant");
        }
    }

    private static void CheckFiles(CatalogEntry e, List<string> problems)
    {
        void Problem(string what) => problems.Add($"{e.Name}: {what}");
        if (e.Files.Count == 0)
        {
            Problem("files must list at least one .gguf");
            return;
        }

        foreach (var f in e.Files)
        {
            if (!RepoName().IsMatch(f.Repo)) Problem($"repo '{f.Repo}' must be org/name");
            if (!HubPath.IsSafeFilePath(f.Path) || !f.Path.EndsWith(".gguf", StringComparison.OrdinalIgnoreCase)) Problem($"path '{f.Path}' must be a relative .gguf path without '..'");
            if (f.SizeBytes <= 0) Problem($"{f.Path}: size_bytes must be positive");
            if (f.Sha256 is not null && !Sha256Hex().IsMatch(f.Sha256)) Problem($"{f.Path}: sha256 must be 64 lower-case hex digits or null");
        }

        if (e.Files.Select(f => f.Repo).Distinct(StringComparer.Ordinal).Count() > 1) Problem("all files must come from one repo");
        var parts = e.Files.Select(f => SplitPart.TryParse(f.Path, out var part) ? part : (SplitPart?)null).ToList();
        if (e.Files.Count == 1 && parts[0] is null)
        {
            return;
        }

        var expected = e.Files.Count;
        for (var i = 0; i < e.Files.Count; i++)
        {
            if (parts[i] is not { } part || part.Number != i + 1 || part.Count != expected || part.Prefix != parts[0]!.Value.Prefix)
            {
                Problem($"split parts must be named <stem>-0000k-of-{expected:00000}.gguf, numbered 1..{expected} in order; '{e.Files[i].Path}' is not part {i + 1}");
                return;
            }
        }
    }

    private static void CheckDraft(CatalogEntry e, IReadOnlyList<CatalogEntry> models, List<string> problems)
    {
        void Problem(string what) => problems.Add($"{e.Name}: {what}");
        if (e.IsDraft)
        {
            if (e.Draft is not null || e.NoDraftReason is not null) Problem("a draft model has neither a draft nor a no_draft_reason");
            return;
        }

        if ((e.Draft is null) == (e.NoDraftReason is null))
        {
            Problem("a main model needs exactly one of draft (a catalog name) or no_draft_reason");
        }

        if (e.Draft is null)
        {
            return;
        }

        var draft = models.FirstOrDefault(m => string.Equals(m.Name, e.Draft, StringComparison.OrdinalIgnoreCase));
        if (draft is null) Problem($"draft '{e.Draft}' is not in the catalog");
        else if (!draft.IsDraft) Problem($"draft '{draft.Name}' must have is_draft: true");
        else if (draft.Family != e.Family) Problem($"draft '{draft.Name}' is family {draft.Family}, not {e.Family}: speculative decoding needs the same tokenizer");
        else if (draft.SizeBytes * 2 > e.SizeBytes) Problem($"draft '{draft.Name}' must be less than half the size of the model it drafts for");
    }

    private static void CheckNames(IReadOnlyList<CatalogEntry> models, List<string> problems)
    {
        var owners = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var e in models)
        {
            foreach (var key in e.Aliases.Prepend(e.Name))
            {
                if (key != e.Name && !SaneName().IsMatch(key))
                {
                    problems.Add($"{e.Name}: alias '{key}' must be letters, digits, '.', '_' or '-'");
                }

                if (!owners.TryAdd(key, e.Name))
                {
                    problems.Add($"{e.Name}: '{key}' is already a name or alias of {owners[key]}; names and aliases must be unique ignoring case");
                }
            }
        }
    }
}
