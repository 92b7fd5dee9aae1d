using System.Diagnostics;
using System.Net.WebSockets;
using System.Text;
using MeshLlm.Testing;
using Microsoft.Extensions.Logging.Abstractions;

namespace MeshLlm.Discovery.Nostr;

/// <summary>The relay pool against the real relay from npm (tests/relay) and, for misbehaviour, <see cref="FakeNostrRelay"/>.</summary>
public sealed class NostrRelayPoolTests
{
    private const int ListingKind = 31990;

    /// <summary>Long enough for anything that must happen on loopback.</summary>
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(10);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static NostrRelayPool Pool(params Uri[] relays) =>
        new(relays, TimeProvider.System, NullLogger<NostrRelayPool>.Instance);

    /// <summary>A listing-like event with a per-test k value, so tests sharing nothing still never see each other's events.</summary>
    private static NostrEvent Listing(NostrKey key, string k, string d = "mesh-llm", DateTimeOffset? at = null, params string[][] extraTags) =>
        key.Sign(ListingKind, [["d", d], ["k", k], .. extraTags], "{\"name\":\"test mesh\"}", at ?? DateTimeOffset.UtcNow);

    private static NostrFilter ByK(string k) => new()
    {
        Kinds = [ListingKind],
        Tags = new Dictionary<string, IReadOnlyList<string>> { ["k"] = [k] },
    };

    private static string UniqueK() => "mesh-llm-test-" + Guid.NewGuid().ToString("N")[..8];

    [Fact]
    public async Task PublishThenQuery_ByKTag_RoundTrip()
    {
        await using var relay = await NostrRelay.StartAsync();
        await using var pool = Pool(relay.Url);
        var key = NostrKey.Generate();
        var k = UniqueK();
        var listing = Listing(key, k);
        var unrelated = Listing(key, UniqueK(), d: "other");

        var published = await pool.PublishAsync(listing, s_timeout, Ct);
        await pool.PublishAsync(unrelated, s_timeout, Ct);
        var found = await pool.QueryAsync(ByK(k), s_timeout, Ct);

        Assert.Equal([relay.Url], published.Accepted);
        Assert.Empty(published.Failures);
        var only = Assert.Single(found);
        Assert.Equal(listing.Id, only.Id);
        Assert.Equal(listing.Content, only.Content);
        Assert.True(only.Verify());
    }

    [Fact]
    public async Task Publish_SameAddressTwice_RelayKeepsOnlyTheNewer()
    {
        await using var relay = await NostrRelay.StartAsync();
        await using var pool = Pool(relay.Url);
        var key = NostrKey.Generate();
        var k = UniqueK();
        var now = DateTimeOffset.UtcNow;
        var older = Listing(key, k, at: now.AddMinutes(-1));
        var newer = Listing(key, k, at: now);

        await pool.PublishAsync(older, s_timeout, Ct);
        await pool.PublishAsync(newer, s_timeout, Ct);

        Assert.Equal(newer.Id, Assert.Single(await pool.QueryAsync(ByK(k), s_timeout, Ct)).Id);
    }

    [Fact]
    public async Task OneRelayDown_OtherStillServes_NoThrow()
    {
        await using var relay = await NostrRelay.StartAsync();
        var down = NostrRelay.ClosedPortUrl();
        await using var pool = Pool(down, relay.Url);
        var k = UniqueK();
        var listing = Listing(NostrKey.Generate(), k);

        var published = await pool.PublishAsync(listing, s_timeout, Ct);
        var found = await pool.QueryAsync(ByK(k), s_timeout, Ct);

        Assert.Equal([relay.Url], published.Accepted);
        var failure = Assert.Single(published.Failures);
        Assert.Equal(down, failure.Relay);
        Assert.Equal(RelayFailureKind.Down, failure.Kind);
        Assert.Equal(listing.Id, Assert.Single(found).Id);
    }

    [Fact]
    public async Task AllRelaysDown_EmptyResultAndFailures_NoThrow()
    {
        await using var pool = Pool(NostrRelay.ClosedPortUrl(), NostrRelay.ClosedPortUrl());
        var listing = Listing(NostrKey.Generate(), UniqueK());

        var published = await pool.PublishAsync(listing, s_timeout, Ct);
        var found = await pool.QueryAsync(ByK("any"), s_timeout, Ct);

        Assert.False(published.AnyAccepted);
        Assert.All(published.Failures, f => Assert.Equal(RelayFailureKind.Down, f.Kind));
        Assert.Empty(found);
    }

    [Fact]
    public async Task SlowRelayNeverSendsEose_QueryReturnsAtTheTimeoutWithTheOtherRelaysEvents()
    {
        await using var relay = await NostrRelay.StartAsync();
        await using var slow = new FakeNostrRelay { NeverEose = true };
        await using var pool = Pool(slow.Url, relay.Url);
        var k = UniqueK();
        var listing = Listing(NostrKey.Generate(), k);
        await pool.PublishAsync(listing, s_timeout, Ct);
        var timeout = TimeSpan.FromMilliseconds(700);

        var started = Stopwatch.GetTimestamp();
        var found = await pool.QueryAsync(ByK(k), timeout, Ct);
        var elapsed = Stopwatch.GetElapsedTime(started);

        Assert.Equal(listing.Id, Assert.Single(found).Id);
        Assert.InRange(elapsed, timeout - TimeSpan.FromMilliseconds(50), timeout + TimeSpan.FromSeconds(3));
        // It still tells the slow relay it may forget the subscription.
        await slow.WaitForReceivedAsync(m => m.StartsWith("[\"CLOSE\"", StringComparison.Ordinal), Ct);
    }

    [Fact]
    public async Task RelayStallsTheHandshake_ConnectTimeoutCountsItDown()
    {
        await using var relay = await NostrRelay.StartAsync();
        await using var stalled = new FakeNostrRelay { StallHandshake = true };
        await using var pool = new NostrRelayPool([stalled.Url, relay.Url], TimeProvider.System, NullLogger<NostrRelayPool>.Instance)
        {
            Options = new NostrRelayPoolOptions { ConnectTimeout = TimeSpan.FromMilliseconds(300) },
        };
        var listing = Listing(NostrKey.Generate(), UniqueK());

        var published = await pool.PublishAsync(listing, s_timeout, Ct);

        Assert.Equal([relay.Url], published.Accepted);
        var failure = Assert.Single(published.Failures);
        Assert.Equal(RelayFailureKind.Down, failure.Kind);
        Assert.Contains("no connection within 0.3 s", failure.Message);
    }

    [Fact]
    public async Task RelayNeverSendsOk_PublishTimesOut()
    {
        await using var silent = new FakeNostrRelay { NeverOk = true };
        await using var pool = Pool(silent.Url);

        var published = await pool.PublishAsync(Listing(NostrKey.Generate(), UniqueK()), TimeSpan.FromMilliseconds(300), Ct);

        Assert.Equal(RelayFailureKind.TimedOut, Assert.Single(published.Failures).Kind);
    }

    [Fact]
    public async Task ForgedEvent_RealRelayRejectsIt()
    {
        await using var relay = await NostrRelay.StartAsync();
        await using var pool = Pool(relay.Url);
        var key = NostrKey.Generate();
        var genuine = Listing(key, UniqueK());
        var otherSig = Listing(key, UniqueK()).Sig;

        var badContent = await pool.PublishAsync(genuine with { Content = "forged" }, s_timeout, Ct);
        var badSig = await pool.PublishAsync(genuine with { Sig = otherSig }, s_timeout, Ct);

        Assert.Equal(RelayFailureKind.Rejected, Assert.Single(badContent.Failures).Kind);
        Assert.Contains("id is wrong", badContent.Failures[0].Message);
        Assert.Equal(RelayFailureKind.Rejected, Assert.Single(badSig.Failures).Kind);
        Assert.Contains("signature is wrong", badSig.Failures[0].Message);
    }

    [Fact]
    public async Task ForgedEventSentRawOverAWebSocket_RealRelayAnswersOkFalse()
    {
        await using var relay = await NostrRelay.StartAsync();
        var genuine = Listing(NostrKey.Generate(), UniqueK());
        var forged = genuine with { Content = "forged" };
        using var socket = new ClientWebSocket();
        await socket.ConnectAsync(relay.Url, Ct);

        await socket.SendAsync(Encoding.UTF8.GetBytes($"[\"EVENT\",{forged.ToJson()}]"), WebSocketMessageType.Text, true, Ct);
        var buffer = new byte[4096];
        var result = await socket.ReceiveAsync(buffer, Ct);

        Assert.Equal($"[\"OK\",\"{forged.Id}\",false,\"invalid: id is wrong\"]", Encoding.UTF8.GetString(buffer, 0, result.Count));
    }

    [Fact]
    public async Task Query_LyingRelay_ServesOnlyVerifiedMatchingEvents()
    {
        var key = NostrKey.Generate();
        var k = UniqueK();
        var genuine = Listing(key, k);
        var other = Listing(key, k, d: "other");
        var wrongKind = key.Sign(1, [["k", k]], "note", DateTimeOffset.UtcNow);
        await using var liar = new FakeNostrRelay();
        liar.Events.AddRange(
        [
            (genuine with { Content = "forged" }).ToJson(),          // id no longer matches
            (other with { Sig = genuine.Sig }).ToJson(),             // signature of another event
            (genuine with { Id = other.Id }).ToJson(),               // wrong id
            (genuine with { PubKey = NostrKey.Generate().PublicKeyHex }).ToJson(), // someone else's key
            wrongKind.ToJson(),                                      // valid, but not what was asked
            """{"id":"x","kind":"31990"}""",                         // malformed
            genuine.ToJson(),
            genuine.ToJson(),                                        // duplicate
        ]);
        await using var pool = Pool(liar.Url);

        var found = await pool.QueryAsync(ByK(k), s_timeout, Ct);

        Assert.Equal(genuine.Id, Assert.Single(found).Id);
    }

    [Fact]
    public async Task Query_ForgedCopyOfARealIdFromOneRelay_GenuineCopyFromAnotherStillAccepted()
    {
        var k = UniqueK();
        var genuine = Listing(NostrKey.Generate(), k);
        await using var liar = new FakeNostrRelay();
        liar.Events.Add((genuine with { Content = "forged" , Id = genuine.Id }).ToJson());
        await using var honest = new FakeNostrRelay();
        honest.Events.Add(genuine.ToJson());
        await using var pool = Pool(liar.Url, honest.Url);

        var found = await pool.QueryAsync(ByK(k), s_timeout, Ct);

        var only = Assert.Single(found);
        Assert.Equal(genuine.Content, only.Content);
    }

    [Fact]
    public async Task Query_FragmentedMessages_Reassembled()
    {
        var k = UniqueK();
        var events = Enumerable.Range(0, 3).Select(i => Listing(NostrKey.Generate(), k, d: $"m{i}")).ToList();
        await using var fragmenting = new FakeNostrRelay { FragmentBytes = 7 };
        fragmenting.Events.AddRange(events.Select(e => e.ToJson()));
        await using var pool = Pool(fragmenting.Url);

        var found = await pool.QueryAsync(ByK(k), s_timeout, Ct);

        Assert.Equal(events.Select(e => e.Id).Order(), found.Select(e => e.Id).Order());
    }

    [Fact]
    public async Task Query_OversizeMessage_DroppedAndTheConnectionStillWorks()
    {
        var k = UniqueK();
        var genuine = Listing(NostrKey.Generate(), k);
        var huge = Listing(NostrKey.Generate(), k, d: "huge") with { Content = new string('x', 2 * 1024 * 1024) };
        await using var relay = new FakeNostrRelay();
        relay.Preamble.Add($"[\"EVENT\",\"whatever\",{huge.ToJson()}]");
        relay.Events.Add(genuine.ToJson());
        await using var pool = Pool(relay.Url);

        var first = await pool.QueryAsync(ByK(k), s_timeout, Ct);
        var second = await pool.QueryAsync(ByK(k), s_timeout, Ct);

        Assert.Equal(genuine.Id, Assert.Single(first).Id);
        Assert.Equal(genuine.Id, Assert.Single(second).Id);
        Assert.Equal(1, relay.HandshakesCompleted);
    }

    [Fact]
    public async Task Query_RelayAnswersClosed_ReturnsWithoutWaitingForTheTimeout()
    {
        await using var relay = await NostrRelay.StartAsync();
        await using var closing = new FakeNostrRelay { ClosedReason = "auth-required: no" };
        await using var pool = Pool(closing.Url, relay.Url);
        var k = UniqueK();
        var listing = Listing(NostrKey.Generate(), k);
        await pool.PublishAsync(listing, s_timeout, Ct);

        var started = Stopwatch.GetTimestamp();
        var found = await pool.QueryAsync(ByK(k), TimeSpan.FromSeconds(30), Ct);

        Assert.Equal(listing.Id, Assert.Single(found).Id);
        Assert.True(Stopwatch.GetElapsedTime(started) < TimeSpan.FromSeconds(10), "the query waited for its timeout despite CLOSED");
    }

    [Fact]
    public async Task Query_ConcurrentQueriesOnOneConnection_EachGetsItsOwnEvents()
    {
        await using var relay = await NostrRelay.StartAsync();
        await using var pool = Pool(relay.Url);
        var key = NostrKey.Generate();
        var ks = Enumerable.Range(0, 6).Select(_ => UniqueK()).ToList();
        var listings = ks.Select((k, i) => Listing(key, k, d: $"mesh-{i}")).ToList();
        await Task.WhenAll(listings.Select(l => pool.PublishAsync(l, s_timeout, Ct)));

        var results = await Task.WhenAll(ks.Select(k => pool.QueryAsync(ByK(k), s_timeout, Ct)));

        for (var i = 0; i < ks.Count; i++)
        {
            Assert.Equal(listings[i].Id, Assert.Single(results[i]).Id);
        }
    }

    [Fact]
    public async Task Deletion_Nip09_RelayStopsReturningTheEvent()
    {
        await using var relay = await NostrRelay.StartAsync();
        await using var pool = Pool(relay.Url);
        var key = NostrKey.Generate();
        var k = UniqueK();
        var listing = Listing(key, k);
        await pool.PublishAsync(listing, s_timeout, Ct);
        Assert.Single(await pool.QueryAsync(ByK(k), s_timeout, Ct));

        var deletion = NostrEvents.Deletion(key, [listing], "mesh stopped", DateTimeOffset.UtcNow);
        var published = await pool.PublishAsync(deletion, s_timeout, Ct);

        Assert.True(published.AnyAccepted);
        Assert.Empty(await pool.QueryAsync(ByK(k), s_timeout, Ct));
        var kept = await pool.QueryAsync(new NostrFilter { Kinds = [NostrEvents.DeletionKind], Authors = [key.PublicKeyHex] }, s_timeout, Ct);
        Assert.Equal(deletion.Id, Assert.Single(kept).Id);
    }

    [Fact]
    public async Task Deletion_ByAnotherKey_Ignored()
    {
        await using var relay = await NostrRelay.StartAsync();
        await using var pool = Pool(relay.Url);
        var k = UniqueK();
        var listing = Listing(NostrKey.Generate(), k);
        await pool.PublishAsync(listing, s_timeout, Ct);

        await pool.PublishAsync(NostrEvents.Deletion(NostrKey.Generate(), [listing], "not yours", DateTimeOffset.UtcNow), s_timeout, Ct);

        Assert.Single(await pool.QueryAsync(ByK(k), s_timeout, Ct));
    }

    [Fact]
    public async Task Expiration_Nip40_ParsedAndAnExpiredListingIsRefusedByTheRelay()
    {
        await using var relay = await NostrRelay.StartAsync();
        await using var pool = Pool(relay.Url);
        var key = NostrKey.Generate();
        var k = UniqueK();
        var now = DateTimeOffset.UtcNow;
        var live = Listing(key, k, d: "live", extraTags: [["expiration", now.AddMinutes(10).ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture)]]);
        var expired = Listing(key, k, d: "expired", extraTags: [["expiration", now.AddMinutes(-1).ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture)]]);

        Assert.Equal(now.AddMinutes(10).ToUnixTimeSeconds(), live.Expiration?.ToUnixTimeSeconds());
        Assert.True(expired.Expiration < now);
        Assert.True((await pool.PublishAsync(live, s_timeout, Ct)).AnyAccepted);
        var refused = await pool.PublishAsync(expired, s_timeout, Ct);

        Assert.Equal(RelayFailureKind.Rejected, Assert.Single(refused.Failures).Kind);
        Assert.Equal(live.Id, Assert.Single(await pool.QueryAsync(ByK(k), s_timeout, Ct)).Id);
    }

    [Fact]
    public async Task RelayRestarted_PoolReconnectsOnNextUse()
    {
        await using var relay = await NostrRelay.StartAsync();
        await using var pool = Pool(relay.Url);
        Assert.True((await pool.PublishAsync(Listing(NostrKey.Generate(), UniqueK()), s_timeout, Ct)).AnyAccepted);

        await relay.StopAsync();
        var whileDown = await pool.PublishAsync(Listing(NostrKey.Generate(), UniqueK()), s_timeout, Ct);
        await relay.RestartAsync();
        var k = UniqueK();
        var afterRestart = Listing(NostrKey.Generate(), k);
        var published = await pool.PublishAsync(afterRestart, s_timeout, Ct);

        Assert.Equal(RelayFailureKind.Down, Assert.Single(whileDown.Failures).Kind);
        Assert.Equal([relay.Url], published.Accepted);
        Assert.Equal(afterRestart.Id, Assert.Single(await pool.QueryAsync(ByK(k), s_timeout, Ct)).Id);
    }

    [Fact]
    public async Task Query_CallerCancels_Throws()
    {
        await using var slow = new FakeNostrRelay { NeverEose = true };
        await using var pool = Pool(slow.Url);
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        cancel.CancelAfter(TimeSpan.FromMilliseconds(200));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => pool.QueryAsync(ByK("x"), s_timeout, cancel.Token));
    }
}
