using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json;
using MeshLlm.EndToEnd.Mesh;
using MeshLlm.Testing;

namespace MeshLlm.EndToEnd.LlamaCpp;

/// <summary>
/// A model split over several nodes with real llama.cpp (rig binaries), on loopback: the f16 test model (283,552
/// bytes) needs 311,907 bytes (× 1.1) and each node offers 200,000 (<c>--max-vram 0.0002</c>), so no node fits it
/// alone and a split takes a host and one partner.
/// </summary>
public sealed class SplitTests
{
    private const string MaxVram = "0.0002";

    private static readonly HttpClient s_http = new() { Timeout = TimeSpan.FromSeconds(60) };

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static string Model => Path.GetFileNameWithoutExtension(TestModels.TinyF16);

    [Fact]
    public async Task SplitForms_ServesEverywhere_SameTextAsSolo_SurvivesPartnerAndHostDeath_LeavesNoChild()
    {
        LlamaCppRig.Require();
        var expected = await SoloTextAsync();
        var all = new List<Node>();
        try
        {
            var a = await Node.StartAsync(join: null);
            all.Add(a);
            var token = await a.Process.WaitForTokenAsync();
            all.Add(await Node.StartAsync(token));
            all.Add(await Node.StartAsync(token));

            // The split forms by itself and every node's API answers with the host's text.
            var host = await WaitForSplitAsync(all);
            Assert.Single(await PartnersAsync(host));
            foreach (var node in all)
            {
                Assert.Equal((expected, host.ShortId), await ChatAsync(node));
            }

            // A fourth node that is not needed joins: it becomes a spare partner and llama-server is not restarted.
            var launches = host.Process.Events(5201).Count(e => e.Get("Name") == "llama-server");
            var d = await Node.StartAsync(token);
            all.Add(d);
            await MeshNodes.WaitForStatusAsync(host.Console, s => MeshNodes.Peer(s, d.Id) is { } p && p.GetProperty("split").GetString() == "partner", "the fourth node as a spare partner");
            await MeshNodes.WaitForStatusAsync(d.Console, s => s.GetProperty("split").GetProperty("reason").GetString()!.Contains("spare", StringComparison.Ordinal), "the fourth node saying it is spare");
            await Task.Delay(TimeSpan.FromSeconds(3), Ct);
            Assert.Equal(launches, host.Process.Events(5201).Count(e => e.Get("Name") == "llama-server"));
            Assert.Empty(host.Process.Events(5006));

            // kill -9 of the partner in use: the host re-plans over the spare nodes and serves the same text again.
            var partnerId = (await PartnersAsync(host))[0];
            var partner = all.Single(n => n.Id == partnerId);
            partner.Process.Signal(PosixSignal.SigKill);
            await MeshNodes.WaitForStatusAsync(host.Console, s => IsServingSplit(s) && !PartnerIds(s).Contains(partner.Id), "a split without the killed partner");
            var live = all.Where(n => n != partner).ToList();
            foreach (var node in live)
            {
                Assert.Equal((expected, host.ShortId), await ChatAsync(node));
            }

            // kill -9 of the host: the two nodes left elect a new host, which serves.
            host.Process.Signal(PosixSignal.SigKill);
            live.Remove(host);
            var newHost = await WaitForSplitAsync(live);
            foreach (var node in live)
            {
                Assert.Equal((expected, newHost.ShortId), await ChatAsync(node));
            }

            // Stopping the survivors stops their children; the killed nodes' orphans go when a node starts in their folder.
            foreach (var node in live)
            {
                node.Process.Signal(PosixSignal.SigTerm);
                Assert.Equal(0, await node.Process.WaitForExitAsync(TimeSpan.FromSeconds(30)));
            }

            foreach (var killed in new[] { partner, host })
            {
                var restarted = MeshLlmProcess.Start(Node.Arguments(join: null), Node.Environment(), killed.Process.Home);
                await restarted.WaitForApiAsync();
                all.Add(new Node(restarted, "", new Uri("http://127.0.0.1/"), new Uri("http://127.0.0.1/")));
                restarted.Signal(PosixSignal.SigTerm);
                Assert.Equal(0, await restarted.WaitForExitAsync(TimeSpan.FromSeconds(30)));
                Assert.NotEmpty(restarted.Events(5200)); // "Killed ... left running by an earlier run that crashed"
            }

            var children = all.SelectMany(n => n.Process.Events(5201)).Select(e => int.Parse(e.Get("Pid")!, CultureInfo.InvariantCulture)).ToList();
            // Four rpc-servers, and llama-server three times: the first split, after the partner's death, on the new host.
            Assert.True(children.Count >= 7, $"expected at least 7 children, saw {children.Count}");
            Assert.All(children, pid => Assert.False(PosixSignal.IsAlive(pid), $"child {pid} still running"));
        }
        finally
        {
            foreach (var node in all)
            {
                await node.Process.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task PartnerBehindASlowLink_IsExcludedOverTheRttCap_AndUsedUnder()
    {
        LlamaCppRig.Require();
        var meshPort = FreePort();
        // Every byte between the host and this partner goes through the relay: 60 ms each way, ~120 ms round trip.
        await using var relay = DelayingRelay.Start(meshPort, TimeSpan.FromMilliseconds(60));
        await using var partner = await Node.StartAsync(join: null, bindPort: meshPort, advertise: $"127.0.0.1:{relay.Port}");
        var token = await partner.Process.WaitForTokenAsync();
        // The host offers more memory, so it is elected; alone it still lacks memory.
        await using var host = await Node.StartAsync(token, maxVram: "0.00025");

        var waiting = await MeshNodes.WaitForStatusAsync(host.Console,
            s => s.GetProperty("split").GetProperty("role").GetString() == "waiting"
                && MeshNodes.Peer(s, partner.Id)?.GetProperty("rtt_ms") is { ValueKind: JsonValueKind.Number } rtt && rtt.GetDouble() > 80, // null before the first ping
            "the host waiting, with the partner's round trip over 80 ms");
        Assert.Contains("waiting for", waiting.GetProperty("split").GetProperty("reason").GetString());

        relay.Delay = TimeSpan.FromMilliseconds(10);
        var split = await MeshNodes.WaitForStatusAsync(host.Console, IsServingSplit, "the split with the partner once its round trip is under 80 ms", TimeSpan.FromSeconds(60));
        Assert.Equal([partner.Id], PartnerIds(split));
        Assert.InRange(split.GetProperty("split").GetProperty("partners")[0].GetProperty("rtt_ms").GetDouble(), 15, 80);
        var (text, servedBy) = await ChatAsync(host);
        Assert.Equal(host.ShortId, servedBy);
        Assert.NotEmpty(text);
    }

    /// <summary>The reference: the same model, greedy, on one llama-server of its own.</summary>
    private static async Task<string> SoloTextAsync()
    {
        await using var solo = MeshLlmProcess.Start(["--model", TestModels.TinyF16, "--backend", "llamacpp", "--port", "0", "--console", "0", "--bind-port", "0", "--threads", "1"],
            LlamaCppRig.ChildEnvironment());
        var engine = await solo.WaitForReadyAsync();
        var (text, _) = await ChatAsync(engine);
        solo.Signal(PosixSignal.SigTerm);
        await solo.WaitForExitAsync(TimeSpan.FromSeconds(30));
        return text;
    }

    private static async Task<(string Text, string? ServedBy)> ChatAsync(Node node) => await ChatAsync(node.Api);

    private static async Task<(string Text, string? ServedBy)> ChatAsync(Uri api)
    {
        using var response = await s_http.PostAsJsonAsync(new Uri(api, "v1/chat/completions"),
            new { model = Model, temperature = 0, max_tokens = 16, messages = new[] { new { role = "user", content = "Tell me about meshes." } } }, Ct);
        var body = await response.Content.ReadAsStringAsync(Ct);
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{api}: {(int)response.StatusCode} {body}");
        var text = JsonDocument.Parse(body).RootElement.GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString()!;
        return (text, response.Headers.TryGetValues("X-Mesh-Node", out var values) ? values.Single() : null);
    }

    /// <summary>Waits until one of <paramref name="nodes"/> hosts a ready split; returns it.</summary>
    private static async Task<Node> WaitForSplitAsync(IReadOnlyList<Node> nodes)
    {
        var start = TimeProvider.System.GetTimestamp();
        while (true)
        {
            foreach (var node in nodes)
            {
                if (IsServingSplit(await MeshNodes.StatusAsync(node.Console)))
                {
                    return node;
                }
            }

            Assert.True(TimeProvider.System.GetElapsedTime(start) < TimeSpan.FromSeconds(60), "no node hosts a ready split after 60 s");
            await Task.Delay(TimeSpan.FromMilliseconds(200), Ct);
        }
    }

    private static bool IsServingSplit(JsonElement status) =>
        status.GetProperty("split") is { ValueKind: JsonValueKind.Object } split
        && split.GetProperty("role").GetString() == "host"
        && status.GetProperty("serving").EnumerateArray().Any(m => m.GetProperty("state").GetString() == "ready");

    private static string[] PartnerIds(JsonElement status) =>
        [.. status.GetProperty("split").GetProperty("partners").EnumerateArray().Select(p => p.GetProperty("id").GetString()!)];

    private static async Task<string[]> PartnersAsync(Node host) => PartnerIds(await MeshNodes.StatusAsync(host.Console));

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private sealed record Node(MeshLlmProcess Process, string Id, Uri Api, Uri Console) : IAsyncDisposable
    {
        public string ShortId => Id[..10];

        public static IReadOnlyList<string> Arguments(string? join, string maxVram = MaxVram, int bindPort = 0, string? advertise = null) =>
        [
            "--model", TestModels.TinyF16, "--backend", "llamacpp", "--port", "0", "--console", "0", "--threads", "1",
            "--max-vram", maxVram, "--bind-port", bindPort.ToString(CultureInfo.InvariantCulture),
            .. join is null ? [] : new[] { "--join", join },
            .. advertise is null ? [] : new[] { "--advertise", advertise },
        ];

        public static Dictionary<string, string?> Environment(string? advertise = null)
        {
            var environment = LlamaCppRig.ChildEnvironment([.. MeshNodes.FastIntervals.Select(kv => (kv.Key, kv.Value))]);
            if (advertise is not null)
            {
                // Only the relay's address is announced, so the other node must come through it.
                environment["MESHLLM__MESH__ADVERTISEINTERFACES"] = "false";
            }

            return environment;
        }

        public static async Task<Node> StartAsync(string? join, string maxVram = MaxVram, int bindPort = 0, string? advertise = null)
        {
            var process = MeshLlmProcess.Start(Arguments(join, maxVram, bindPort, advertise), Environment(advertise));
            var api = await process.WaitForApiAsync();
            var console = await process.WaitForConsoleAsync();
            var id = MeshNodes.IdOf(await MeshNodes.StatusAsync(console));
            return new Node(process, id, api, console);
        }

        public ValueTask DisposeAsync() => Process.DisposeAsync();
    }
}
