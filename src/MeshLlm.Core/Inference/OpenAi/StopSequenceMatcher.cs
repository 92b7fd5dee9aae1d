namespace MeshLlm.Inference.OpenAi;

/// <summary>
/// Finds stop strings in streamed text. Text that could be the start of a stop string is held back until
/// the next piece shows whether it is, so a stop string never reaches the client, even split across tokens.
/// </summary>
public sealed class StopSequenceMatcher(IReadOnlyList<string> stops)
{
    private readonly System.Text.StringBuilder _pending = new();

    /// <summary>True once a stop string was seen; later pieces are ignored.</summary>
    public bool Stopped { get; private set; }

    /// <summary>Adds generated text and returns the part that is safe to send now.</summary>
    public string Push(string piece)
    {
        if (Stopped || piece.Length == 0)
        {
            return "";
        }

        if (stops.Count == 0)
        {
            return piece;
        }

        _pending.Append(piece);
        var text = _pending.ToString();
        var first = FirstStop(text);
        if (first >= 0)
        {
            Stopped = true;
            _pending.Clear();
            return text[..first];
        }

        var keep = LongestPartialSuffix(text);
        _pending.Clear().Append(text, text.Length - keep, keep);
        return text[..^keep];
    }

    /// <summary>Returns held-back text at the end of generation.</summary>
    public string Flush()
    {
        var rest = _pending.ToString();
        _pending.Clear();
        return Stopped ? "" : rest;
    }

    private int FirstStop(string text)
    {
        var first = -1;
        foreach (var stop in stops)
        {
            var index = text.IndexOf(stop, StringComparison.Ordinal);
            if (index >= 0 && (first < 0 || index < first))
            {
                first = index;
            }
        }

        return first;
    }

    private int LongestPartialSuffix(string text)
    {
        var longest = 0;
        foreach (var stop in stops)
        {
            for (var length = Math.Min(stop.Length - 1, text.Length); length > longest; length--)
            {
                if (text.AsSpan(text.Length - length).SequenceEqual(stop.AsSpan(0, length)))
                {
                    longest = length;
                    break;
                }
            }
        }

        return longest;
    }
}
