using System.Globalization;
using System.Text;

namespace MeshLlm.Discovery.Nostr;

/// <summary>Writes JSON the way NIP-01 hashes it: no whitespace, minimal escaping, everything else verbatim.</summary>
/// <remarks>
/// NIP-01 lists the only escapes: <c>\n</c>, <c>\"</c>, <c>\\</c>, <c>\r</c>, <c>\t</c>, <c>\b</c>, <c>\f</c>; all other
/// characters, non-ASCII and <c>&lt;&gt;&amp;'</c> included, are written verbatim as UTF-8. Two cases NIP-01 leaves
/// open are written as JavaScript's <c>JSON.stringify</c> writes them, since that is what nostr-tools and most
/// relays hash: the other C0 controls as <c>\u00xx</c> (verbatim would not be JSON), and a lone UTF-16
/// surrogate as <c>\udxxx</c> (UTF-8 cannot carry one). System.Text.Json's encoders escape far more, so they are
/// not used here.
/// </remarks>
internal static class NostrJson
{
    public static void WriteString(StringBuilder sb, string value)
    {
        sb.Append('"');
        for (var i = 0; i < value.Length; i++)
        {
            var c = value[i];
            switch (c)
            {
                case '\n': sb.Append("\\n"); break;
                case '"': sb.Append("\\\""); break;
                case '\\': sb.Append("\\\\"); break;
                case '\r': sb.Append("\\r"); break;
                case '\t': sb.Append("\\t"); break;
                case '\b': sb.Append("\\b"); break;
                case '\f': sb.Append("\\f"); break;
                default:
                    if (c < 0x20 || IsLoneSurrogate(value, i))
                    {
                        sb.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                    }
                    else if (char.IsHighSurrogate(c))
                    {
                        sb.Append(c).Append(value[++i]);
                    }
                    else
                    {
                        sb.Append(c);
                    }

                    break;
            }
        }

        sb.Append('"');
    }

    public static void WriteStringArray(StringBuilder sb, IEnumerable<string> values)
    {
        sb.Append('[');
        var first = true;
        foreach (var value in values)
        {
            if (!first)
            {
                sb.Append(',');
            }

            WriteString(sb, value);
            first = false;
        }

        sb.Append(']');
    }

    public static void WriteTags(StringBuilder sb, IReadOnlyList<IReadOnlyList<string>> tags)
    {
        sb.Append('[');
        for (var i = 0; i < tags.Count; i++)
        {
            if (i > 0)
            {
                sb.Append(',');
            }

            WriteStringArray(sb, tags[i]);
        }

        sb.Append(']');
    }

    private static bool IsLoneSurrogate(string value, int i)
    {
        var c = value[i];
        if (char.IsHighSurrogate(c))
        {
            return i + 1 >= value.Length || !char.IsLowSurrogate(value[i + 1]);
        }

        return char.IsLowSurrogate(c);
    }
}
