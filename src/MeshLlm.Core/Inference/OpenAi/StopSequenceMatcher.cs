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
    /// <remarks>
    /// The answer always equals "the text before the earliest-starting stop string", however the text is split
    /// into pieces. So a complete match is only acted on once no other stop could still start before it: with
    /// stops <c>abcd</c> and <c>c</c>, after <c>abc</c> the matcher waits, since <c>abcd</c> may yet complete.
    /// </remarks>
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
        var held = text.Length - LongestPartialSuffix(text);
        if (first >= 0 && first <= held)
        {
            Stopped = true;
            _pending.Clear();
            return text[..first];
        }

        _pending.Clear().Append(text, held, text.Length - held);
        return text[..held];
    }

    /// <summary>Returns held-back text at the end of generation (up to a stop string still held, if any).</summary>
    public string Flush()
    {
        var rest = _pending.ToString();
        _pending.Clear();
        if (Stopped)
        {
            return "";
        }

        var first = FirstStop(rest);
        if (first >= 0)
        {
            Stopped = true;
            return rest[..first];
        }

        return rest;
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
