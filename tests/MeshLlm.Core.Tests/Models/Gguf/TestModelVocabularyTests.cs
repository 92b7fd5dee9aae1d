namespace MeshLlm.Models.Gguf;

public sealed class TestModelVocabularyTests
{
    [Theory]
    [InlineData(0x20, '\u0120')] // space is 'Ġ'
    [InlineData(0x0A, '\u010A')] // newline is 'Ċ'
    [InlineData(0x00, '\u0100')]
    [InlineData(0x21, '!')]
    [InlineData(0x41, 'A')]
    [InlineData(0x7E, '~')]
    [InlineData(0x7F, '\u0121')]
    [InlineData(0xA0, '\u0142')]
    [InlineData(0xA1, '¡')]
    [InlineData(0xAD, '\u0143')]
    [InlineData(0xAE, '®')]
    [InlineData(0xFF, 'ÿ')]
    public void ByteToChar_Byte_UsesGpt2Alphabet(int value, char expected)
    {
        Assert.Equal(expected, TestModelVocabulary.ByteToChar((byte)value));
        Assert.Equal(expected.ToString(), TestModelVocabulary.Tokens[value]);
    }

    [Fact]
    public void Tokens_Layout_IsBytesThenMergesThenControls()
    {
        Assert.Equal(306, TestModelVocabulary.Size);
        Assert.Equal(TestModelVocabulary.Size, TestModelVocabulary.Tokens.Count);
        Assert.Equal(TestModelVocabulary.Size, TestModelVocabulary.TokenTypes.Count);
        Assert.Equal(TestModelVocabulary.MergeCount, TestModelVocabulary.Merges.Count);
        Assert.Equal(256, TestModelVocabulary.Tokens.Take(256).Distinct().Count());
        Assert.All(TestModelVocabulary.Tokens.Take(256), t => Assert.Equal(1, t.Length));
        Assert.All(TestModelVocabulary.TokenTypes.Take(TestModelVocabulary.EndOfTextId), t => Assert.Equal(1, t));
        Assert.Equal([3, 3, 3], TestModelVocabulary.TokenTypes.Skip(TestModelVocabulary.EndOfTextId));
        Assert.Equal(TestModelVocabulary.Size, TestModelVocabulary.Tokens.Distinct().Count());
    }

    [Fact]
    public void Tokens_SpecialIds_MatchTheirTexts()
    {
        Assert.Equal("<|endoftext|>", TestModelVocabulary.Tokens[TestModelVocabulary.EndOfTextId]);
        Assert.Equal("<|im_start|>", TestModelVocabulary.Tokens[TestModelVocabulary.ImStartId]);
        Assert.Equal("<|im_end|>", TestModelVocabulary.Tokens[TestModelVocabulary.ImEndId]);
        Assert.Equal((303, 304, 305), (TestModelVocabulary.EndOfTextId, TestModelVocabulary.ImStartId, TestModelVocabulary.ImEndId));
        Assert.Equal(TestModelVocabulary.EndOfTextId, TestModelVocabulary.BosId);
        Assert.Equal(TestModelVocabulary.EndOfTextId, TestModelVocabulary.PaddingId);
        Assert.Equal(TestModelVocabulary.ImEndId, TestModelVocabulary.EosId);
        Assert.Equal(TestModelVocabulary.ImEndId, TestModelVocabulary.EotId);
    }

    [Fact]
    public void Merges_EachMerge_JoinsEarlierTokensIntoItsOwnToken()
    {
        for (int i = 0; i < TestModelVocabulary.MergeCount; i++)
        {
            string[] parts = TestModelVocabulary.Merges[i].Split(' ');
            int id = TestModelVocabulary.ByteTokenCount + i;
            IEnumerable<string> earlier = TestModelVocabulary.Tokens.Take(id);

            Assert.Equal(2, parts.Length);
            Assert.Contains(parts[0], earlier);
            Assert.Contains(parts[1], earlier);
            Assert.Equal(parts[0] + parts[1], TestModelVocabulary.Tokens[id]);
            Assert.All(TestModelVocabulary.Tokens[id], c => Assert.True(c is (>= 'a' and <= 'z') or 'Ġ', $"Merge {i} has '{c}'."));
        }
    }

    [Theory]
    [InlineData(0x00, false, true)]
    [InlineData(0x09, false, true)]
    [InlineData(0x0A, false, false)]
    [InlineData(0x1F, false, true)]
    [InlineData(0x20, false, false)]
    [InlineData(0x41, false, false)]
    [InlineData(0x7E, false, false)]
    [InlineData(0x7F, false, true)]
    [InlineData(0xC3, false, true)]
    [InlineData(0xFF, false, true)]
    [InlineData(256, false, false)]
    [InlineData(302, false, false)]
    [InlineData(TestModelVocabulary.EndOfTextId, false, true)]
    [InlineData(TestModelVocabulary.ImStartId, false, true)]
    [InlineData(TestModelVocabulary.ImEndId, false, true)]
    [InlineData(TestModelVocabulary.EndOfTextId, true, true)]
    [InlineData(TestModelVocabulary.ImStartId, true, true)]
    [InlineData(TestModelVocabulary.ImEndId, true, false)]
    public void IsBanned_Token_BansUnprintableAndSpecial(int tokenId, bool allowEos, bool expected) =>
        Assert.Equal(expected, TestModelVocabulary.IsBanned(tokenId, allowEos));
}
