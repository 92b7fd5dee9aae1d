using System.Net.Http.Json;
using System.Text.Json;
using MeshLlm.Testing;
using static MeshLlm.EndToEnd.Mesh.MeshNodes;

namespace MeshLlm.EndToEnd.Discovery;

/// <summary>
/// Publishing and <c>--auto</c> with real processes and a real Nostr relay (npm <c>@nostr-relay/core</c>) on loopback:
/// a published mesh is found and joined, <c>last-mesh</c> makes a node come back to its mesh over a bigger one, a
/// stopped publisher's listing is deleted and a joiner's watchdog lists the mesh again.
/// </summary>
public sealed class PublishAndAutoTests
{
    private static readonly string M1 = TestModels.TinyVariant("nostr-m1", 301);
    private static readonly string M2 = TestModels.TinyVariant("nostr-m2", 302);
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>Short membership intervals, and a watchdog that looks every 2 s instead of 30.</summary>
    private static Dictionary<string, string?> Environment(params (string Key, string Value)[] extra)
    {
        var environment = new Dictionary<string, string?>(FastIntervals)
        {
            ["MESHLLM__DISCOVERY__WATCHDOGINTERVAL"] = "00:00:02",
            ["MESHLLM__DISCOVERY__WATCHDOGMAXDELAY"] = "00:00:01",
        };
        foreach (var (key, value) in extra)
        {
            environment[key] = value;
        }

        return environment;
    }

    private static MeshLlmProcess Publisher(NostrRelay relay, string model, string? meshName = null, string? join = null) =>
        MeshLlmProcess.Start(
            ["--model", model, "--backend", "embedded", "--port", "0", "--bind-port", "0", "--nostr-relay", relay.Url.AbsoluteUri,
                .. (join is null ? (string[])["--publish"] : ["--join", join]), .. (meshName is null ? [] : new[] { "--mesh-name", meshName })],
            Environment());

    private static MeshLlmProcess Auto(NostrRelay relay, string home, string? meshName = null) =>
        MeshLlmProcess.Start(
            ["--auto", "--backend", "embedded", "--port", "0", "--bind-port", "0", "--nostr-relay", relay.Url.AbsoluteUri,
                .. (meshName is null ? [] : new[] { "--mesh-name", meshName })],
            Environment(), home);

    [Fact]
    public async Task AutoJoinsThePublishedMesh_AnswersAtOnce_ThenWatchdogRelistsItWhenThePublisherStops()
    {
        await using var relay = await NostrRelay.StartAsync();
        await using var a = Publisher(relay, M1, meshName: "x");
        var aMesh = (await a.WaitForMeshAsync()).Get("Mesh")!;
        await a.WaitForReadyAsync();
        await a.WaitForEventAsync(7112); // listed

        var home = Directory.CreateTempSubdirectory("mesh-llm-auto-").FullName;
        var started = TimeProvider.System.GetTimestamp();
        await using var b = Auto(relay, home, meshName: "x");
        var api = await b.WaitForApiAsync();
        Assert.Equal(aMesh, (await b.WaitForMeshAsync()).Get("Mesh"));
        using var http = new HttpClient();
        var (node, _) = await ChatAsync(http, api, "nostr-m1");
        var seconds = TimeProvider.System.GetElapsedTime(started).TotalSeconds;
        Assert.StartsWith(node, IdOf(await StatusAsync(await a.WaitForConsoleAsync())), StringComparison.Ordinal);
        Assert.True(seconds < 30, $"B answered for A's model only after {seconds:0.0} s");
        Assert.Equal(aMesh, File.ReadAllText(Path.Combine(home, "last-mesh")).Trim());
        Assert.Contains("candidate x", b.Stdout, StringComparison.Ordinal);

        // A stops cleanly: its listing is deleted, and B's watchdog (nobody lists mesh x any more) publishes it.
        a.Signal(PosixSignal.SigTerm);
        Assert.Equal(0, await a.WaitForExitAsync());
        Assert.Contains(a.Events(7114), e => e.Message.Contains("shutting down", StringComparison.Ordinal));
        await b.WaitForEventAsync(7110, match: e => e.Message.Contains("watchdog", StringComparison.Ordinal));
        await b.WaitForEventAsync(7112);
        var listings = await DiscoverAsync(relay, "--mesh-name", "x");
        var listed = Assert.Single(listings);
        Assert.Equal(aMesh, listed.GetProperty("mesh_id").GetString());
        // Listed again by B's key, not a leftover of A's.
        Assert.Equal(MeshLlm.Discovery.Nostr.NostrKey.HexFromNpub((await b.WaitForEventAsync(7111)).Get("Npub")!), listed.GetProperty("publisher").GetString());
    }

    [Fact]
    public async Task Restart_PrefersTheLastMesh_OverABiggerNewOne()
    {
        await using var relay = await NostrRelay.StartAsync();
        await using var small = Publisher(relay, M1);
        var smallMesh = (await small.WaitForMeshAsync()).Get("Mesh")!;
        await small.WaitForEventAsync(7112);

        var home = Directory.CreateTempSubdirectory("mesh-llm-auto-").FullName;
        // Not disposed before the end: disposing a process deletes its home, and the restart needs last-mesh.
        await using var first = Auto(relay, home);
        Assert.Equal(smallMesh, (await first.WaitForMeshAsync()).Get("Mesh"));
        first.Signal(PosixSignal.SigTerm);
        await first.WaitForExitAsync();

        // A bigger, older-looking mesh appears: two nodes serving a model.
        await using var big = Publisher(relay, M2);
        var bigMesh = (await big.WaitForMeshAsync()).Get("Mesh")!;
        await using var bigPeer = Publisher(relay, M2, join: await big.WaitForTokenAsync());
        await bigPeer.WaitForMeshAsync();
        await WaitForListingAsync(relay, l => l.GetProperty("mesh_id").GetString() == bigMesh && l.GetProperty("nodes").GetInt32() == 2);

        // Without last-mesh the bigger mesh ranks first; with it, the node goes back (+500).
        var ranked = await DiscoverAsync(relay);
        Assert.Equal(bigMesh, ranked[0].GetProperty("mesh_id").GetString());
        await using var again = Auto(relay, home);
        Assert.Equal(smallMesh, (await again.WaitForMeshAsync()).Get("Mesh"));
        Assert.Contains("last mesh +500", again.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task MaxClients_WithdrawsTheListingWhileFull_AndListsAgainBelow()
    {
        await using var relay = await NostrRelay.StartAsync();
        await using var a = MeshLlmProcess.Start(
            ["--model", M1, "--backend", "embedded", "--port", "0", "--bind-port", "0", "--nostr-relay", relay.Url.AbsoluteUri, "--publish", "--max-clients", "1"],
            Environment());
        var token = await a.WaitForTokenAsync();
        await a.WaitForEventAsync(7112);
        Assert.Single(await DiscoverAsync(relay));

        await using var client = StartJoiner(token, client: true);
        await a.WaitForEventAsync(7115); // full: withdrawn
        await a.WaitForEventAsync(7114);
        Assert.Empty(await DiscoverAsync(relay));
        var nostr = (await StatusAsync(await a.WaitForConsoleAsync())).GetProperty("nostr");
        Assert.True(nostr.GetProperty("publishing").GetBoolean());
        Assert.False(nostr.GetProperty("listed").GetBoolean());
        Assert.StartsWith("npub1", nostr.GetProperty("npub").GetString(), StringComparison.Ordinal);
        Assert.Contains("--max-clients", nostr.GetProperty("reason").GetString(), StringComparison.Ordinal);

        client.Signal(PosixSignal.SigTerm);
        await client.WaitForExitAsync();
        await a.WaitForEventAsync(7116); // below the cap again
        await a.WaitForEventCountAsync(7112, 2);
        Assert.Single(await DiscoverAsync(relay));
        Assert.True((await StatusAsync(await a.WaitForConsoleAsync())).GetProperty("nostr").GetProperty("listed").GetBoolean());
    }

    [Fact]
    public async Task AutoClient_WithNoMeshToJoin_FailsWithAClearMessage()
    {
        await using var relay = await NostrRelay.StartAsync();
        var home = Directory.CreateTempSubdirectory("mesh-llm-auto-client-").FullName;
        try
        {
            var (code, _, stderr) = await MeshLlmProcess.RunAsync(["--auto", "--client", "--port", "0", "--console", "0", "--nostr-relay", relay.Url.AbsoluteUri], home);
            Assert.Equal(7, code);
            Assert.Contains("no mesh to join was found", stderr, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(home, recursive: true);
        }
    }

    /// <summary>What <c>mesh-llm discover --json</c> lists (eligible meshes first, best first).</summary>
    private static async Task<IReadOnlyList<JsonElement>> DiscoverAsync(NostrRelay relay, params string[] args)
    {
        var home = Directory.CreateTempSubdirectory("mesh-llm-discover-").FullName;
        try
        {
            var (code, stdout, stderr) = await MeshLlmProcess.RunAsync(["discover", "--json", "--nostr-relay", relay.Url.AbsoluteUri, .. args], home);
            Assert.True(code == 0, $"discover exited {code}: {stderr}");
            return [.. JsonDocument.Parse(stdout).RootElement.GetProperty("meshes").EnumerateArray().Select(m => m.Clone()).Where(m => m.GetProperty("score").ValueKind == JsonValueKind.Number)];
        }
        finally
        {
            Directory.Delete(home, recursive: true);
        }
    }

    private static async Task WaitForListingAsync(NostrRelay relay, Func<JsonElement, bool> condition)
    {
        var start = TimeProvider.System.GetTimestamp();
        while (!(await DiscoverAsync(relay)).Any(condition))
        {
            Assert.True(TimeProvider.System.GetElapsedTime(start) < Generous, "the listing did not appear");
            await Task.Delay(500, Ct);
        }
    }

    private static async Task<(string Node, string Text)> ChatAsync(HttpClient http, Uri api, string model)
    {
        using var response = await http.PostAsJsonAsync(new Uri(api, "v1/chat/completions"),
            new { model, max_tokens = 4, messages = new[] { new { role = "user", content = "hi" } } }, Ct);
        var body = await response.Content.ReadAsStringAsync(Ct);
        Assert.True(response.IsSuccessStatusCode, body);
        var text = JsonDocument.Parse(body).RootElement.GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString()!;
        return (response.Headers.GetValues("X-Mesh-Node").Single(), text);
    }
}
