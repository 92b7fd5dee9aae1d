using System.Globalization;
using System.Text;

namespace MeshLlm.Discovery.Nostr;

/// <summary>A NIP-01 subscription filter; null members are left out of the JSON.</summary>
public sealed record NostrFilter
{
    public IReadOnlyList<string>? Ids { get; init; }

    public IReadOnlyList<string>? Authors { get; init; }

    public IReadOnlyList<int>? Kinds { get; init; }

    /// <summary>Single-letter tag name → accepted values, written as <c>"#k":[…]</c>.</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<string>>? Tags { get; init; }

    public DateTimeOffset? Since { get; init; }

    public DateTimeOffset? Until { get; init; }

    public int? Limit { get; init; }

    public string ToJson()
    {
        var sb = new StringBuilder("{");
        var first = true;
        void Name(string name)
        {
            if (!first)
            {
                sb.Append(',');
            }

            NostrJson.WriteString(sb, name);
            sb.Append(':');
            first = false;
        }

        if (Ids is not null)
        {
            Name("ids");
            NostrJson.WriteStringArray(sb, Ids);
        }

        if (Authors is not null)
        {
            Name("authors");
            NostrJson.WriteStringArray(sb, Authors);
        }

        if (Kinds is not null)
        {
            Name("kinds");
            sb.Append('[').AppendJoin(',', Kinds.Select(k => k.ToString(CultureInfo.InvariantCulture))).Append(']');
        }

        foreach (var (letter, values) in Tags ?? new Dictionary<string, IReadOnlyList<string>>())
        {
            if (letter.Length != 1 || !char.IsAsciiLetter(letter[0]))
            {
                throw new InvalidOperationException($"Tag filters are by single-letter tag names (NIP-01), not '{letter}'.");
            }

            Name("#" + letter);
            NostrJson.WriteStringArray(sb, values);
        }

        if (Since is { } since)
        {
            Name("since");
            sb.Append(since.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture));
        }

        if (Until is { } until)
        {
            Name("until");
            sb.Append(until.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture));
        }

        if (Limit is { } limit)
        {
            Name("limit");
            sb.Append(limit.ToString(CultureInfo.InvariantCulture));
        }

        return sb.Append('}').ToString();
    }

    /// <summary>True when <paramref name="e"/> satisfies every condition of the filter (NIP-01 semantics, <see cref="Limit"/> aside).</summary>
    public bool Matches(NostrEvent e)
    {
        ArgumentNullException.ThrowIfNull(e);
        return (Ids is null || Ids.Contains(e.Id))
            && (Authors is null || Authors.Contains(e.PubKey))
            && (Kinds is null || Kinds.Contains(e.Kind))
            && (Since is null || e.CreatedAt >= Since.Value.ToUnixTimeSeconds())
            && (Until is null || e.CreatedAt <= Until.Value.ToUnixTimeSeconds())
            && (Tags is null || Tags.All(kv => e.Tags.Any(t => t.Count >= 2 && t[0] == kv.Key && kv.Value.Contains(t[1]))));
    }
}
