using System.Text;

namespace MeshLlm.Inference.OpenAi;

public sealed class StopSequenceMatcherTests
{
    /// <summary>Pushes every piece, then flushes; returns what each call released and the concatenation.</summary>
    private static (string Output, List<string> Released, bool Stopped) Run(IReadOnlyList<string> stops, IEnumerable<string> pieces)
    {
        var matcher = new StopSequenceMatcher(stops);
        var released = new List<string>();
        foreach (string piece in pieces)
        {
            released.Add(matcher.Push(piece));
        }

        released.Add(matcher.Flush());
        bool stopped = matcher.Stopped;
        return (string.Concat(released), released, stopped);
    }

    /// <summary>The whole-string reference: the text before the first occurrence of any stop, or all of it.</summary>
    private static (string Output, bool Stopped) Reference(IReadOnlyList<string> stops, string text)
    {
        int first = -1;
        foreach (string stop in stops)
        {
            int index = text.IndexOf(stop, StringComparison.Ordinal);
            if (index >= 0 && (first < 0 || index < first))
            {
                first = index;
            }
        }

        return first < 0 ? (text, false) : (text[..first], true);
    }

    private static IEnumerable<string> Chars(string text) => text.Select(c => c.ToString());

    [Theory]
    [InlineData("hello")]
    [InlineData("END")]
    [InlineData("")]
    public void Push_NoStops_ReturnsPieceUnchanged(string piece)
    {
        var matcher = new StopSequenceMatcher([]);

        Assert.Equal(piece, matcher.Push(piece));
        Assert.False(matcher.Stopped);
        Assert.Equal("", matcher.Flush());
    }

    [Fact]
    public void Push_NoStopsManyPieces_ReleasesEachImmediately()
    {
        (string output, List<string> released, bool stopped) = Run([], ["a", "b", "", "cd"]);

        Assert.Equal(["a", "b", "", "cd", ""], released);
        Assert.Equal("abcd", output);
        Assert.False(stopped);
    }

    [Fact]
    public void Push_EmptyPiece_ReturnsEmptyAndKeepsHeldText()
    {
        var matcher = new StopSequenceMatcher(["END"]);

        Assert.Equal("x", matcher.Push("xE"));
        Assert.Equal("", matcher.Push(""));
        Assert.False(matcher.Stopped);
        Assert.Equal("E", matcher.Flush());
    }

    [Fact]
    public void New_Matcher_IsNotStopped()
    {
        Assert.False(new StopSequenceMatcher(["x"]).Stopped);
    }

    [Theory]
    [InlineData("Hello END world", "Hello ")]
    [InlineData("END", "")]
    [InlineData("ENDEND", "")]
    [InlineData("abcEND", "abc")]
    [InlineData("a\nEND\n", "a\n")]
    public void Push_StopInsideOnePiece_ReturnsTextBeforeStopAndStops(string piece, string expected)
    {
        var matcher = new StopSequenceMatcher(["END"]);

        Assert.Equal(expected, matcher.Push(piece));
        Assert.True(matcher.Stopped);
        Assert.Equal("", matcher.Flush());
    }

    [Fact]
    public void Push_TextWithoutStopOrPrefix_IsReleasedWhole()
    {
        var matcher = new StopSequenceMatcher(["END"]);

        Assert.Equal("Hello world", matcher.Push("Hello world"));
        Assert.False(matcher.Stopped);
        Assert.Equal("", matcher.Flush());
    }

    [Fact]
    public void Push_StopSplitOneCharAtATime_NeverReleasesAnyPartOfIt()
    {
        (string output, List<string> released, bool stopped) = Run(["<|im_end|>"], Chars("ab<|im_end|>cd"));

        Assert.Equal("ab", output);
        Assert.True(stopped);
        Assert.Equal(["a", "b", "", "", "", "", "", "", "", "", "", "", "", "", ""], released);
    }

    [Fact]
    public void Push_StopSplitAcrossUnevenPieces_StopsWithTextBefore()
    {
        (string output, List<string> released, bool stopped) = Run(["</answer>"], ["The ans", "wer is 4</", "ans", "wer>", " extra"]);

        Assert.Equal(["The ans", "wer is 4", "", "", "", ""], released);
        Assert.Equal("The answer is 4", output);
        Assert.True(stopped);
    }

    [Fact]
    public void Push_PartialMatchThatIsNotAStop_IsReleasedLaterInOrder()
    {
        var matcher = new StopSequenceMatcher(["END"]);

        Assert.Equal("The ", matcher.Push("The EN"));
        Assert.Equal("", matcher.Push(""));
        Assert.Equal("ENding", matcher.Push("ding"));
        Assert.Equal("", matcher.Push("E"));
        Assert.Equal("E", matcher.Push("E"));
        Assert.Equal("ENX", matcher.Push("NX"));
        Assert.False(matcher.Stopped);
        Assert.Equal("", matcher.Flush());
    }

    [Fact]
    public void Push_OverlappingPartialMatches_ReleaseOnlyWhatCannotStartTheStop()
    {
        (string output, List<string> released, bool stopped) = Run(["aab"], Chars("aaab"));

        Assert.Equal(["", "", "a", "", ""], released);
        Assert.Equal("a", output);
        Assert.True(stopped);
    }

    [Fact]
    public void Push_RepeatedPrefixThenOtherChar_ReleasesEverything()
    {
        (string output, List<string> released, bool stopped) = Run(["aab"], Chars("aaaac"));

        Assert.Equal(["", "", "a", "a", "aac", ""], released);
        Assert.Equal("aaaac", output);
        Assert.False(stopped);
    }

    [Theory]
    [InlineData("hello world", "hel", "world", "lo")]
    [InlineData("hello world", "hello ", "world", "xyz")]
    [InlineData("a STOP b END c", "a ", "END", "STOP")]
    [InlineData("a STOP b END c", "a ", "STOP", "END")]
    [InlineData("abc", "", "abc", "a")]
    [InlineData("abcabc", "a", "ca", "bc")]
    public void Push_MultipleStops_EarliestOccurrenceWins(string text, string expected, string stop1, string stop2)
    {
        var matcher = new StopSequenceMatcher([stop1, stop2]);

        Assert.Equal(expected, matcher.Push(text));
        Assert.True(matcher.Stopped);
    }

    [Fact]
    public void Push_MultipleStopsCharByChar_EarliestCompletedStopWins()
    {
        (string output, _, bool stopped) = Run(["</s>", "\n\nUser:"], Chars("Sure.\n\nUser: hi</s>"));

        Assert.Equal("Sure.", output);
        Assert.True(stopped);
    }

    [Fact]
    public void Push_HoldsLongestPartialAcrossStops()
    {
        var matcher = new StopSequenceMatcher(["xy", "abcd"]);

        Assert.Equal("1", matcher.Push("1abc"));
        Assert.Equal("abc", matcher.Push("x"));
        Assert.Equal("", matcher.Push("y"));
        Assert.True(matcher.Stopped);
    }

    [Fact]
    public void Flush_NotStopped_ReturnsHeldTextOnce()
    {
        var matcher = new StopSequenceMatcher(["END"]);

        Assert.Equal("abc", matcher.Push("abcEN"));
        Assert.Equal("EN", matcher.Flush());
        Assert.Equal("", matcher.Flush());
        Assert.False(matcher.Stopped);
    }

    [Fact]
    public void Flush_NothingHeld_ReturnsEmpty()
    {
        var matcher = new StopSequenceMatcher(["END"]);

        Assert.Equal("", matcher.Flush());
        Assert.Equal("xyz", matcher.Push("xyz"));
        Assert.Equal("", matcher.Flush());
    }

    [Fact]
    public void Flush_AfterStop_ReturnsNothing()
    {
        var matcher = new StopSequenceMatcher(["END", "ENDING"]);

        Assert.Equal("x", matcher.Push("xENDIN"));
        Assert.True(matcher.Stopped);
        Assert.Equal("", matcher.Flush());
    }

    [Fact]
    public void Push_AfterStop_IgnoresLaterPieces()
    {
        var matcher = new StopSequenceMatcher(["END"]);

        Assert.Equal("a", matcher.Push("aEND"));
        Assert.Equal("", matcher.Push("more text"));
        Assert.Equal("", matcher.Push("E"));
        Assert.Equal("", matcher.Push("END"));
        Assert.True(matcher.Stopped);
        Assert.Equal("", matcher.Flush());
    }

    [Fact]
    public void Push_SurrogatePairs_PassThroughIntact()
    {
        (string output, _, bool stopped) = Run(["🛑"], ["a😀", "b\uD83D", "\uDED1c"]);

        Assert.Equal("a😀b", output);
        Assert.True(stopped);
    }

    [Fact]
    public void Push_NestedStopsDifferentSplits_SameOutputAsWholeText()
    {
        string[] stops = ["abcd", "c"];

        (string whole, _, _) = Run(stops, ["abcd"]);
        (string split, _, _) = Run(stops, ["abc", "d"]);

        Assert.Equal(Reference(stops, "abcd").Output, whole);
        Assert.Equal(whole, split);
    }

    [Fact]
    public void Push_RandomTextSingleStopRandomSplits_MatchesWholeStringReference()
    {
        var random = new Random(12345);
        for (var trial = 0; trial < 5_000; trial++)
        {
            string text = RandomString(random, "abc", random.Next(0, 30));
            string[] stops = [RandomString(random, "abc", random.Next(1, 5))];

            CheckAgainstReference(random, stops, text, trial);
        }
    }

    [Fact]
    public void Push_RandomTextNonNestedStopsRandomSplits_MatchesWholeStringReference()
    {
        var random = new Random(54321);
        var checkedTrials = 0;
        while (checkedTrials < 5_000)
        {
            string text = RandomString(random, "abc", random.Next(0, 30));
            string[] stops = Enumerable.Range(0, random.Next(1, 4)).Select(_ => RandomString(random, "abc", random.Next(1, 5))).ToArray();

            // Where one stop lies strictly inside another, the streamed answer depends on the split (see the skipped test above).
            if (stops.Any(outer => stops.Any(inner => inner.Length < outer.Length && outer.IndexOf(inner, 1, StringComparison.Ordinal) is > 0 and var at && at + inner.Length < outer.Length)))
            {
                continue;
            }

            CheckAgainstReference(random, stops, text, checkedTrials++);
        }
    }

    [Fact]
    public void Push_RandomTextRandomStopsRandomSplits_MatchesWholeStringReference()
    {
        var random = new Random(777);
        for (var trial = 0; trial < 5_000; trial++)
        {
            string text = RandomString(random, "abc", random.Next(0, 30));
            string[] stops = Enumerable.Range(0, random.Next(1, 4)).Select(_ => RandomString(random, "abc", random.Next(1, 5))).ToArray();

            CheckAgainstReference(random, stops, text, trial);
        }
    }

    private static void CheckAgainstReference(Random random, string[] stops, string text, int trial)
    {
        List<string> pieces = RandomSplit(random, text);
        (string expected, bool expectedStopped) = Reference(stops, text);

        (string output, _, bool stopped) = Run(stops, pieces);

        string description = $"trial {trial}: stops [{string.Join(", ", stops.Select(s => $"\"{s}\""))}], pieces [{string.Join(", ", pieces.Select(p => $"\"{p}\""))}]";
        Assert.True(expected == output, $"{description}: expected \"{expected}\", got \"{output}\"");
        Assert.True(expectedStopped == stopped, $"{description}: expected Stopped={expectedStopped}, got {stopped}");
    }

    private static string RandomString(Random random, string alphabet, int length)
    {
        var text = new StringBuilder(length);
        for (var i = 0; i < length; i++)
        {
            text.Append(alphabet[random.Next(alphabet.Length)]);
        }

        return text.ToString();
    }

    private static List<string> RandomSplit(Random random, string text)
    {
        var pieces = new List<string>();
        var at = 0;
        while (at < text.Length)
        {
            int length = random.Next(4) == 0 ? 0 : random.Next(1, Math.Min(6, text.Length - at) + 1);
            pieces.Add(text.Substring(at, length));
            at += length;
        }

        return pieces;
    }
}
