namespace MeshLlm.Models.Gguf;

/// <summary>The fixed GPT-2-style vocabulary of generated test models: 256 byte tokens, 47 ASCII merges, 3 control tokens.</summary>
/// <remarks>
/// Ids 0-255 are the bytes in order, spelled in GPT-2's bytes-to-unicode alphabet (printable Latin-1 bytes keep their
/// code point, the other 68 take U+0100 upwards in byte order, so space is 'Ġ' and newline 'Ċ'). Ids 256-302 are the
/// merges' tokens in merge order; then <c>&lt;|endoftext|&gt;</c> (BOS, padding), <c>&lt;|im_start|&gt;</c> and
/// <c>&lt;|im_end|&gt;</c> (EOS, EOT).
/// </remarks>
internal static class TestModelVocabulary
{
    public const int ByteTokenCount = 256;
    public const int MergeCount = 47;
    public const int EndOfTextId = ByteTokenCount + MergeCount;
    public const int ImStartId = EndOfTextId + 1;
    public const int ImEndId = EndOfTextId + 2;

    /// <summary>The number of tokens, <c>llama.vocab_size</c>.</summary>
    public const int Size = EndOfTextId + 3;

    public const int BosId = EndOfTextId;
    public const int PaddingId = EndOfTextId;
    public const int EosId = ImEndId;
    public const int EotId = ImEndId;

    public const string EndOfText = "<|endoftext|>";
    public const string ImStart = "<|im_start|>";
    public const string ImEnd = "<|im_end|>";

    /// <summary>The <c>tokenizer.ggml.token_type</c> of ordinary tokens.</summary>
    public const int NormalTokenType = 1;

    /// <summary>The <c>tokenizer.ggml.token_type</c> of special tokens.</summary>
    public const int ControlTokenType = 3;

    private static readonly string[] s_merges =
    [
        "Ġ t", "h e", "Ġt he", "i n", "e r", "a n", "o n", "Ġ a", "r e", "Ġ s", "e n", "a t", "o r", "e s", "Ġ w", "Ġ o",
        "i s", "i t", "Ġ c", "Ġ b", "Ġ f", "Ġ m", "Ġ p", "Ġ i", "a l", "a r", "l l", "o u", "Ġ d", "Ġ h", "in g", "e d",
        "Ġa n", "Ġan d", "Ġo f", "Ġt o", "Ġi n", "Ġi s", "Ġ l", "Ġ n", "Ġ e", "l e", "s t", "Ġw h", "o m", "Ġ re", "c e",
    ];

    private static readonly char[] s_byteChars = BuildByteChars();
    private static readonly string[] s_tokens = BuildTokens();
    private static readonly int[] s_tokenTypes = BuildTokenTypes();

    /// <summary>Gets <c>tokenizer.ggml.merges</c>: "left right", highest priority first.</summary>
    public static IReadOnlyList<string> Merges => s_merges;

    /// <summary>Gets <c>tokenizer.ggml.tokens</c>, indexed by token id.</summary>
    public static IReadOnlyList<string> Tokens => s_tokens;

    /// <summary>Gets <c>tokenizer.ggml.token_type</c>, indexed by token id.</summary>
    public static IReadOnlyList<int> TokenTypes => s_tokenTypes;

    /// <summary>Gets the character GPT-2's byte-level BPE uses for <paramref name="value"/>.</summary>
    public static char ByteToChar(byte value) => s_byteChars[value];

    /// <summary>Tells whether the output projection pushes a token down so it is never sampled.</summary>
    /// <remarks>Banned: control bytes except newline, bytes 0x7F and above (so output is printable ASCII), and the
    /// special tokens, except <c>&lt;|im_end|&gt;</c> when <paramref name="allowEos"/>.</remarks>
    public static bool IsBanned(int tokenId, bool allowEos)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(tokenId);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(tokenId, Size);
        if (tokenId < ByteTokenCount)
        {
            return (tokenId < 0x20 && tokenId != '\n') || tokenId >= 0x7F;
        }

        return tokenId >= EndOfTextId && !(allowEos && tokenId == ImEndId);
    }

    private static bool IsPrintableByte(int value) =>
        value is (>= 0x21 and <= 0x7E) or (>= 0xA1 and <= 0xAC) or (>= 0xAE and <= 0xFF);

    private static char[] BuildByteChars()
    {
        var chars = new char[ByteTokenCount];
        int next = 256;
        for (int b = 0; b < ByteTokenCount; b++)
        {
            chars[b] = IsPrintableByte(b) ? (char)b : (char)next++;
        }

        return chars;
    }

    private static string[] BuildTokens()
    {
        var tokens = new List<string>(Size);
        for (int b = 0; b < ByteTokenCount; b++)
        {
            tokens.Add(s_byteChars[b].ToString());
        }

        foreach (string merge in s_merges)
        {
            tokens.Add(merge.Replace(" ", string.Empty, StringComparison.Ordinal));
        }

        tokens.AddRange([EndOfText, ImStart, ImEnd]);
        return [.. tokens];
    }

    private static int[] BuildTokenTypes()
    {
        var types = new int[Size];
        Array.Fill(types, NormalTokenType);
        types.AsSpan(EndOfTextId).Fill(ControlTokenType);
        return types;
    }
}
