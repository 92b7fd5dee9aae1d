using System.Text.Json;
using MeshLlm.Testing;

namespace MeshLlm.Discovery.Nostr;

/// <summary>Our events against nostr-tools, the reference JavaScript implementation (tests/relay/tools.mjs).</summary>
public sealed class NostrToolsCrossCheckTests
{
    private const string Nip19SecHex = "67dea2ed018072d675f5415ecfaed7d2597555e202d85b3d65ea4e58d2d92ffa";

    private static readonly DateTimeOffset s_at = DateTimeOffset.FromUnixTimeSeconds(1_700_000_000);

    private static NostrEvent Parse(string json)
    {
        using var document = JsonDocument.Parse(json);
        return NostrEvent.FromJson(document.RootElement) ?? throw new InvalidOperationException("not an event: " + json);
    }

    [Fact]
    public async Task Nip19_NostrToolsEncodesKeysAsWeDo()
    {
        var key = NostrKey.Generate();
        var secretHex = Convert.ToHexStringLower(Bech32.Decode(key.Nsec).Data);

        Assert.Equal(key.Npub, await NostrRelay.RunToolAsync("npub", key.PublicKeyHex));
        Assert.Equal(key.Nsec, await NostrRelay.RunToolAsync("nsec", secretHex));
    }

    // Contents whose escaping differs between JSON writers.
    public static TheoryData<string> Contents =>
    [
        "plain",
        "quotes \" and backslash \\ and slash /",
        "newline\nreturn\rtab\tbackspace\bformfeed\f",
        "controls \u0001\u001f and del \u007f",
        "html <b>&amp;</b> 'single'",
        "unicode é 日本語 😀 👩‍👩‍👧 \u2028\u2029",
        "",
    ];

    [Theory]
    [MemberData(nameof(Contents))]
    public async Task OurEvent_NostrToolsComputesSameIdAndVerifies(string content)
    {
        var e = NostrKey.Generate().Sign(31990, [["d", "mesh-llm"], ["k", "mesh-llm"], ["t", content]], content, s_at);

        Assert.Equal(e.Id, await NostrRelay.RunToolWithInputAsync(e.ToJson(), "hash"));
        Assert.Equal("true", await NostrRelay.RunToolWithInputAsync(e.ToJson(), "verify"));
    }

    [Fact]
    public async Task OurEventWithLoneSurrogate_NostrToolsComputesSameId()
    {
        var content = "lone \ud800 surrogate";
        var e = NostrKey.Generate().Sign(1, [], content, s_at);

        Assert.Equal(e.Id, await NostrRelay.RunToolWithInputAsync(e.ToJson(), "hash"));
    }

    [Theory]
    [MemberData(nameof(Contents))]
    public async Task NostrToolsEvent_VerifiesHere(string content)
    {
        var json = await NostrRelay.RunToolAsync("sign", Nip19SecHex, "31990", content, """[["d","mesh-llm"],["k","mesh-llm"]]""", "1700000000");
        var e = Parse(json);

        Assert.True(e.Verify());
        Assert.Equal(content, e.Content);
        Assert.Equal(NostrKey.FromHex(Nip19SecHex).PublicKeyHex, e.PubKey);
        Assert.Equal(e.Id, NostrEvent.ComputeId(e.PubKey, e.CreatedAt, e.Kind, e.Tags, e.Content));
    }

    [Theory]
    [InlineData("content")]
    [InlineData("sig")]
    [InlineData("id")]
    public async Task TamperedEvent_RejectedByBothSides(string what)
    {
        var key = NostrKey.Generate();
        var e = key.Sign(31990, [["d", "mesh-llm"]], "listing", s_at);
        var other = key.Sign(31990, [["d", "mesh-llm"]], "other", s_at);
        var tampered = what switch
        {
            "content" => e with { Content = "listing!" },
            "sig" => e with { Sig = other.Sig },
            _ => e with { Id = other.Id },
        };

        Assert.False(tampered.Verify());
        Assert.Equal("false", await NostrRelay.RunToolWithInputAsync(tampered.ToJson(), "verify"));
    }

    [Fact]
    public async Task NostrToolsEventWithForgedContent_FailsHere()
    {
        var e = Parse(await NostrRelay.RunToolAsync("sign", Nip19SecHex, "1", "original", "[]", "1700000000"));

        Assert.True(e.Verify());
        Assert.False((e with { Content = "forged" }).Verify());
    }
}
