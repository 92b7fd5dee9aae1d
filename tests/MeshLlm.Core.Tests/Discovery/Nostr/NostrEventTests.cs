using System.Text.Json;

namespace MeshLlm.Discovery.Nostr;

public sealed class NostrEventTests
{
    private static readonly DateTimeOffset s_at = DateTimeOffset.FromUnixTimeSeconds(1_700_000_000);
    private static readonly IReadOnlyList<IReadOnlyList<string>> s_tags = [["d", "mesh-llm"], ["k", "mesh-llm"]];

    internal static NostrEvent Signed(NostrKey key, string content = "hello") => key.Sign(31990, s_tags, content, s_at);

    [Fact]
    public void ComputeId_EventSignedByNostrTools_SameId()
    {
        // `node tests/relay/tools.mjs sign <NIP-19 example key> 31990 'hi "x"' '[["d","mesh-llm"],["k","mesh-llm"]]' 1700000000`
        var id = NostrEvent.ComputeId("7e7e9c42a91bfef19fa929e5fda1b72e0ebc1a4c1141673e2794234d86addf4e", 1_700_000_000, 31990, s_tags, "hi \"x\"");

        Assert.Equal("a9b480213033ede1b1550ea0df3c7b65030a6f04f9edc6d3506e10b04768966e", id);
    }

    [Theory]
    [InlineData("line\nbreak", "line\\nbreak")]
    [InlineData("quote\" back\\slash", "quote\\\" back\\\\slash")]
    [InlineData("cr\r tab\t bs\b ff\f", "cr\\r tab\\t bs\\b ff\\f")]
    [InlineData("<script>&'</script>", "<script>&'</script>")]
    [InlineData("héllo wörld 日本 😀", "héllo wörld 日本 😀")]
    [InlineData("/ slash \u2028 sep", "/ slash \u2028 sep")]
    public void Serialize_Content_EscapesOnlyWhatNip01Says(string content, string expected)
    {
        var text = NostrEvent.Serialize("ab", 1, 2, [["t", content]], content);

        Assert.Equal($"[0,\"ab\",1,2,[[\"t\",\"{expected}\"]],\"{expected}\"]", text);
    }

    [Fact]
    public void Serialize_ControlCharsAndLoneSurrogates_EscapedAsJsonStringifyDoes()
    {
        // Kept out of [InlineData]: attribute blobs are UTF-8 and cannot hold a lone surrogate.
        (string Content, string Expected)[] cases =
        [
            ("nul\u0000 soh\u0001 us\u001f del\u007f", "nul\\u0000 soh\\u0001 us\\u001f del\u007f"),
            ("lone \ud800 surrogate \udc00 end\ud83d", "lone \\ud800 surrogate \\udc00 end\\ud83d"),
        ];

        foreach (var (content, expected) in cases)
        {
            Assert.Equal($"[0,\"ab\",1,2,[],\"{expected}\"]", NostrEvent.Serialize("ab", 1, 2, [], content));
        }
    }

    [Fact]
    public void Sign_Then_Verify_True()
    {
        var key = NostrKey.Generate();

        var e = Signed(key, "content with \"quotes\" and\nnewlines");

        Assert.True(e.Verify());
        Assert.Equal(key.PublicKeyHex, e.PubKey);
        Assert.Equal(1_700_000_000, e.CreatedAt);
        Assert.Matches("^[0-9a-f]{128}$", e.Sig);
    }

    public static TheoryData<string> Tamperings => ["content", "sig", "id", "pubkey", "kind", "created_at", "tags", "uppercase id", "short sig", "non-hex sig", "null tag value"];

    [Theory]
    [MemberData(nameof(Tamperings))]
    public void Verify_Tampered_FalseNeverThrows(string what)
    {
        var key = NostrKey.Generate();
        var e = Signed(key);
        var other = Signed(NostrKey.Generate());

        var tampered = what switch
        {
            "content" => e with { Content = "hellO" },
            "sig" => e with { Sig = other.Sig },
            "id" => e with { Id = other.Id },
            "pubkey" => e with { PubKey = other.PubKey },
            "kind" => e with { Kind = 1 },
            "created_at" => e with { CreatedAt = e.CreatedAt + 1 },
            "tags" => e with { Tags = [["d", "mesh-llm"]] },
            "uppercase id" => e with { Id = e.Id.ToUpperInvariant() },
            "short sig" => e with { Sig = e.Sig[..126] },
            "non-hex sig" => e with { Sig = "zz" + e.Sig[2..] },
            "null tag value" => e with { Tags = [["d", null!]] },
            _ => throw new ArgumentOutOfRangeException(nameof(what)),
        };

        Assert.False(tampered.Verify());
    }

    [Fact]
    public void Verify_SignatureOfAnotherEventBySameKey_False()
    {
        var key = NostrKey.Generate();
        var a = Signed(key, "a");
        var b = Signed(key, "b");

        Assert.False((a with { Sig = b.Sig }).Verify());
    }

    [Fact]
    public void FirstTag_FirstMatchingTag_OrNull()
    {
        var e = NostrKey.Generate().Sign(1, [["x"], ["d", "one"], ["d", "two"]], "", s_at);

        Assert.Equal("one", e.FirstTag("d"));
        Assert.Null(e.FirstTag("x"));
        Assert.Null(e.FirstTag("missing"));
    }

    [Theory]
    [InlineData("1700000600", 1_700_000_600L)]
    [InlineData("0", 0L)]
    [InlineData("soon", null)]
    [InlineData("-5", null)]
    [InlineData("99999999999999999999", null)]
    [InlineData("", null)]
    public void Expiration_Nip40Tag_ParsedOrNull(string value, long? expected)
    {
        var e = NostrKey.Generate().Sign(31990, [["expiration", value]], "", s_at);

        Assert.Equal(expected, e.Expiration?.ToUnixTimeSeconds());
    }

    [Fact]
    public void Expiration_NoTag_Null() => Assert.Null(Signed(NostrKey.Generate()).Expiration);

    [Fact]
    public void ToJson_FromJson_RoundTripsAndStillVerifies()
    {
        var e = Signed(NostrKey.Generate(), "tricky: \"\\\n\t\u0001 <>& 😀");

        using var document = JsonDocument.Parse(e.ToJson());
        var back = NostrEvent.FromJson(document.RootElement);

        Assert.NotNull(back);
        Assert.Equal(e.Id, back.Id);
        Assert.Equal(e.Content, back.Content);
        Assert.Equal(e.Tags.Select(t => string.Join('|', t)), back.Tags.Select(t => string.Join('|', t)));
        Assert.True(back.Verify());
    }

    [Fact]
    public void FromJson_EscapedLoneSurrogate_Null()
    {
        // System.Text.Json will not make a string of it; such an event is unusable, so it is dropped.
        using var document = JsonDocument.Parse("""{"id":"i","pubkey":"a","created_at":1,"kind":1,"tags":[],"content":"\ud800","sig":"s"}""");

        Assert.Null(NostrEvent.FromJson(document.RootElement));
    }

    [Theory]
    [InlineData("""{"pubkey":"a","created_at":1,"kind":1,"tags":[],"content":"","sig":"s"}""")]
    [InlineData("""{"id":"i","pubkey":"a","created_at":"1","kind":1,"tags":[],"content":"","sig":"s"}""")]
    [InlineData("""{"id":"i","pubkey":"a","created_at":1.5,"kind":1,"tags":[],"content":"","sig":"s"}""")]
    [InlineData("""{"id":"i","pubkey":"a","created_at":1,"kind":99999999999,"tags":[],"content":"","sig":"s"}""")]
    [InlineData("""{"id":"i","pubkey":"a","created_at":1,"kind":1,"tags":[["d",1]],"content":"","sig":"s"}""")]
    [InlineData("""{"id":"i","pubkey":"a","created_at":1,"kind":1,"tags":["d"],"content":"","sig":"s"}""")]
    [InlineData("""{"id":"i","pubkey":"a","created_at":1,"kind":1,"tags":{},"content":"","sig":"s"}""")]
    [InlineData("""{"id":"i","pubkey":"a","created_at":1,"kind":1,"tags":[],"content":null,"sig":"s"}""")]
    [InlineData("""["id"]""")]
    public void FromJson_MissingOrWrongTypes_Null(string json)
    {
        using var document = JsonDocument.Parse(json);

        Assert.Null(NostrEvent.FromJson(document.RootElement));
    }

    [Fact]
    public void Filter_ToJson_Nip01Shape()
    {
        var filter = new NostrFilter
        {
            Ids = ["ab"],
            Authors = ["cd"],
            Kinds = [31990, 5],
            Tags = new Dictionary<string, IReadOnlyList<string>> { ["k"] = ["mesh-llm"], ["d"] = ["x\"y"] },
            Since = DateTimeOffset.FromUnixTimeSeconds(10),
            Until = DateTimeOffset.FromUnixTimeSeconds(20),
            Limit = 50,
        };

        Assert.Equal(
            """{"ids":["ab"],"authors":["cd"],"kinds":[31990,5],"#k":["mesh-llm"],"#d":["x\"y"],"since":10,"until":20,"limit":50}""",
            filter.ToJson());
        Assert.Equal("{}", new NostrFilter().ToJson());
    }

    [Theory]
    [InlineData("kk")]
    [InlineData("1")]
    [InlineData("")]
    public void Filter_ToJson_TagNameNotASingleLetter_Refused(string name) =>
        Assert.Throws<InvalidOperationException>(() => new NostrFilter { Tags = new Dictionary<string, IReadOnlyList<string>> { [name] = ["x"] } }.ToJson());

    [Fact]
    public void Filter_Matches_AllConditions()
    {
        var e = Signed(NostrKey.Generate());
        var tags = new Dictionary<string, IReadOnlyList<string>> { ["k"] = ["mesh-llm"] };

        Assert.True(new NostrFilter { Kinds = [31990], Tags = tags, Authors = [e.PubKey], Since = s_at, Until = s_at }.Matches(e));
        Assert.False(new NostrFilter { Kinds = [1] }.Matches(e));
        Assert.False(new NostrFilter { Tags = new Dictionary<string, IReadOnlyList<string>> { ["k"] = ["other"] } }.Matches(e));
        Assert.False(new NostrFilter { Since = s_at.AddSeconds(1) }.Matches(e));
        Assert.False(new NostrFilter { Ids = ["00"] }.Matches(e));
    }

    [Fact]
    public void Deletion_TagsEveryIdAddressAndKind()
    {
        var key = NostrKey.Generate();
        var listing = Signed(key);
        var note = key.Sign(1, [], "note", s_at);

        var deletion = NostrEvents.Deletion(key, [listing, note], "mesh stopped", s_at.AddMinutes(1));

        Assert.Equal(5, deletion.Kind);
        Assert.Equal("mesh stopped", deletion.Content);
        Assert.True(deletion.Verify());
        Assert.Equal(
            [$"e|{listing.Id}", $"e|{note.Id}", $"a|31990:{key.PublicKeyHex}:mesh-llm", "k|31990", "k|1"],
            deletion.Tags.Select(t => string.Join('|', t)));
    }
}
