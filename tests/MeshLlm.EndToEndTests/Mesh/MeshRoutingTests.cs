using System.ClientModel;
using System.Net;
using System.Text;
using System.Text.Json;
using MeshLlm.Testing;
using OpenAI;
using OpenAI.Chat;
using static MeshLlm.EndToEnd.Mesh.MeshNodes;

namespace MeshLlm.EndToEnd.Mesh;

/// <summary>
/// Four real processes: A serves m1, B serves m2, C serves m1, D is a passive client. Every node's :port answers
/// for every model through the mesh, per request, with the serving node named in X-Mesh-Node.
/// </summary>
public sealed class MeshRoutingTests
{
    private static readonly string M1 = TestModels.TinyVariant("m1", 101);
    private static readonly string M2 = TestModels.TinyVariant("m2", 202);
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task EveryNode_RoutesEveryModel_ToANodeServingIt_WithIdenticalText()
    {
        await using var a = StartServing(model: M1);
        var token = await a.WaitForTokenAsync();
        await using var b = StartServing(token, M2);
        await using var c = StartServing(token, M1);
        await using var d = StartJoiner(token, client: true);
        var nodes = new[] { a, b, c, d };
        var apis = await Task.WhenAll(nodes.Select(n => n.WaitForApiAsync()));
        var ids = await Task.WhenAll(nodes.Select(async n => IdOf(await StatusAsync(await n.WaitForConsoleAsync()))[..10]));
        await Task.WhenAll(apis.Select(api => WaitForModelsAsync(api, "m1", "m2", nodes: 2)));

        // What each model's own server says, asked on the node that serves it.
        var expected = new Dictionary<string, string>
        {
            ["m1"] = await StreamTextAsync(apis[0], "m1"),
            ["m2"] = await StreamTextAsync(apis[1], "m2"),
        };
        var servers = new Dictionary<string, string[]> { ["m1"] = [ids[0], ids[2]], ["m2"] = [ids[1]] };
        using var http = new HttpClient();
        for (var i = 0; i < nodes.Length; i++)
        {
            foreach (var model in new[] { "m1", "m2" })
            {
                Assert.Equal(expected[model], await StreamTextAsync(apis[i], model));
                var (node, text) = await ChatAsync(http, apis[i], model);
                Assert.Contains(node, servers[model]);
                Assert.Equal(expected[model], text);
            }
        }

        // One keep-alive connection, alternating models: each request is routed on its own.
        using var single = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 1 });
        for (var i = 0; i < 4; i++)
        {
            var model = i % 2 == 0 ? "m1" : "m2";
            var (node, _) = await ChatAsync(single, apis[3], model);
            Assert.Contains(node, servers[model]);
        }

        using var unknown = await http.PostAsync(new Uri(apis[3], "v1/chat/completions"), Body("nope"), Ct);
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Contains("Available models: m1, m2", await unknown.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);

        var lists = await Task.WhenAll(apis.Select(api => ModelListAsync(http, api)));
        Assert.All(lists, l => Assert.Equal("m1:2,m2:1", l));

        // 11 requests per model went through four different nodes: every node's demand view has them all.
        foreach (var node in nodes)
        {
            await WaitForStatusAsync(await node.WaitForConsoleAsync(), s => Demand(s, "m1") >= 11 && Demand(s, "m2") >= 11, "demand of 11+ for m1 and m2");
        }
    }

    private static long Demand(JsonElement status, string model) =>
        status.TryGetProperty("demand", out var demand) && demand.TryGetProperty(model, out var entry) ? entry.GetProperty("requests").GetInt64() : 0;

    [Fact]
    public async Task KillNineOfOneServer_OnlyInFlightRequestsFail_ThenTheOtherServerAnswers()
    {
        await using var a = StartServing(model: M1);
        var token = await a.WaitForTokenAsync();
        await using var c = StartServing(token, M1);
        await using var d = StartJoiner(token, client: true);
        var api = await d.WaitForApiAsync();
        var idC = IdOf(await StatusAsync(await c.WaitForConsoleAsync()))[..10];
        await WaitForModelsAsync(api, "m1", nodes: 2);
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(20) };

        var results = new List<(long At, bool Ok, string? Node)>();
        var start = TimeProvider.System.GetTimestamp();
        long killedAt = 0;
        while (TimeProvider.System.GetElapsedTime(start) < TimeSpan.FromSeconds(12))
        {
            if (killedAt == 0 && TimeProvider.System.GetElapsedTime(start) > TimeSpan.FromSeconds(2))
            {
                a.Signal(PosixSignal.SigKill);
                killedAt = TimeProvider.System.GetTimestamp();
            }

            try
            {
                var (node, _) = await ChatAsync(http, api, "m1", maxTokens: 8);
                results.Add((TimeProvider.System.GetTimestamp(), true, node));
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException or InvalidOperationException)
            {
                results.Add((TimeProvider.System.GetTimestamp(), false, null));
            }
        }

        // Requests run one at a time, so at most the one in flight at the kill may fail; none may hang.
        Assert.True(results.Count(r => !r.Ok) <= 1, $"{results.Count(r => !r.Ok)} of {results.Count} requests failed");
        var late = results.Where(r => TimeProvider.System.GetElapsedTime(killedAt, r.At) > TimeSpan.FromSeconds(5)).ToList();
        Assert.NotEmpty(late);
        Assert.All(late, r => Assert.Equal(idC, r.Node));
    }

    [Fact]
    public async Task RequestAfterAPause_ReusesTheConnectionsToAnEmbeddedEngine_LocalAndThroughTheTunnel()
    {
        await using var a = MeshLlmProcess.Start(
            ["--model", M1, "--backend", "embedded", "--port", "0", "--bind-port", "0", "--log-level", "debug"], FastIntervals);
        var token = await a.WaitForTokenAsync();
        var apiA = await a.WaitForApiAsync();
        await using var d = StartJoiner(token, client: true);
        var apiD = await d.WaitForApiAsync();
        await WaitForModelsAsync(apiD, "m1");
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(60) };

        await ChatAsync(http, apiD, "m1");
        await ChatAsync(http, apiA, "m1");
        var engineConnections = a.Events(5112).Count;
        // Longer than the 4 s pool kept for llama-server, whose idle connections close after 5 s.
        await Task.Delay(TimeSpan.FromSeconds(5.5), Ct);
        await ChatAsync(http, apiD, "m1");
        await ChatAsync(http, apiA, "m1");

        // The embedded engine keeps idle connections for 130 s: one tunnel, handed to the engine in-process (event
        // 3103, never relayed through a loopback socket: 3102), carries both of D's requests, and neither the tunnel
        // nor A's own proxy opens a new connection to the engine (event 5112).
        Assert.Single(a.Events(3103));
        Assert.Empty(a.Events(3102));
        Assert.Equal(engineConnections, a.Events(5112).Count);
    }

    [Fact]
    public async Task ClientGivingUpThroughATunnel_StopsTheRemoteEngine()
    {
        await using var a = MeshLlmProcess.Start(
            ["--model", M1, "--backend", "embedded", "--port", "0", "--bind-port", "0", "--ctx-size", "16384", "--log-level", "debug"], FastIntervals);
        var token = await a.WaitForTokenAsync();
        await using var d = StartJoiner(token, client: true);
        var api = await d.WaitForApiAsync();
        await WaitForModelsAsync(api, "m1");
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(120) };
        // Not streamed: the engine writes nothing for the whole generation (8,000 tokens take tens of seconds), so only
        // the tunnel's "sender gone" signal can tell it that the client left.
        using var body = LongBody(stream: false);
        using var giveUp = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var request = http.PostAsync(new Uri(api, "v1/chat/completions"), body, giveUp.Token);
        await a.WaitForEventAsync(5110);

        await giveUp.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => request);
        // Event 5111: the engine saw its client go and cancelled the generation, long before it would have ended.
        await a.WaitForEventAsync(5111, TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task ServerKilledMidStream_TheStreamThroughTheTunnelEndsWithAnErrorEvent()
    {
        await using var a = MeshLlmProcess.Start(
            ["--model", M1, "--backend", "embedded", "--port", "0", "--bind-port", "0", "--ctx-size", "16384"], FastIntervals);
        var token = await a.WaitForTokenAsync();
        await using var d = StartJoiner(token, client: true);
        var api = await d.WaitForApiAsync();
        await WaitForModelsAsync(api, "m1");
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(60) };
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(api, "v1/chat/completions")) { Content = LongBody(stream: true) };
        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, Ct);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(Ct));
        Assert.StartsWith("data: ", await reader.ReadLineAsync(Ct), StringComparison.Ordinal);

        a.Signal(PosixSignal.SigKill);
        var rest = await reader.ReadToEndAsync(Ct).WaitAsync(TimeSpan.FromSeconds(30), Ct);

        Assert.Contains("\"upstream_failed\"", rest, StringComparison.Ordinal);
        Assert.DoesNotContain("[DONE]", rest, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Drop_StopsServingHere_AndRequestsGoToTheOtherServer()
    {
        await using var a = StartServing(model: M1);
        var token = await a.WaitForTokenAsync();
        await using var c = StartServing(token, M1);
        var apiA = await a.WaitForApiAsync();
        var consoleA = await a.WaitForConsoleAsync();
        var idC = IdOf(await StatusAsync(await c.WaitForConsoleAsync()))[..10];
        await WaitForModelsAsync(apiA, "m1", nodes: 2);

        var unknown = await MeshLlmProcess.RunAsync(["drop", "m2", "--port", apiA.Port.ToString(System.Globalization.CultureInfo.InvariantCulture)], a.Home);
        Assert.NotEqual(0, unknown.Code);
        Assert.Contains("does not serve 'm2'", unknown.Stderr, StringComparison.Ordinal);

        var dropped = await MeshLlmProcess.RunAsync(["drop", "m1", "--port", apiA.Port.ToString(System.Globalization.CultureInfo.InvariantCulture)], a.Home);
        Assert.Equal(0, dropped.Code);
        Assert.Contains("Dropped m1", dropped.Stdout, StringComparison.Ordinal);
        await WaitForStatusAsync(consoleA, s => s.GetProperty("role").GetString() == "standby" && s.GetProperty("serving").GetArrayLength() == 0, "A to stop serving");
        await WaitForModelsAsync(apiA, "m1", nodes: 1);

        using var http = new HttpClient();
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(idC, (await ChatAsync(http, apiA, "m1")).Node);
        }
    }

    private static StringContent Body(string model, int maxTokens = 12) => new(
        JsonSerializer.Serialize(new { model, messages = new[] { new { role = "user", content = "Tell me about meshes" } }, max_tokens = maxTokens, temperature = 0 }),
        Encoding.UTF8, "application/json");

    /// <summary>A request for m1 that generates for tens of seconds (8,000 tokens; the node needs <c>--ctx-size 16384</c>).</summary>
    private static StringContent LongBody(bool stream) => new(
        JsonSerializer.Serialize(new { model = "m1", stream, max_tokens = 8000, messages = new[] { new { role = "user", content = "long" } } }),
        Encoding.UTF8, "application/json");

    private static async Task<(string Node, string Text)> ChatAsync(HttpClient http, Uri api, string model, int maxTokens = 12)
    {
        using var response = await http.PostAsync(new Uri(api, "v1/chat/completions"), Body(model, maxTokens), Ct);
        var json = await response.Content.ReadAsStringAsync(Ct);
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"{(int)response.StatusCode}: {json}");
        }

        using var doc = JsonDocument.Parse(json);
        var text = doc.RootElement.GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString()!;
        return (response.Headers.GetValues("X-Mesh-Node").Single(), text);
    }

    private static async Task<string> StreamTextAsync(Uri api, string model)
    {
        var client = new ChatClient(model, new ApiKeyCredential("unused"), new OpenAIClientOptions { Endpoint = new Uri(api, "v1") });
        var text = new StringBuilder();
        await foreach (var update in client.CompleteChatStreamingAsync(
            [new UserChatMessage("Tell me about meshes")], new ChatCompletionOptions { MaxOutputTokenCount = 12, Temperature = 0 }, Ct))
        {
            foreach (var part in update.ContentUpdate)
            {
                text.Append(part.Text);
            }
        }

        return text.ToString();
    }

    private static async Task<string> ModelListAsync(HttpClient http, Uri api)
    {
        using var doc = JsonDocument.Parse(await http.GetStringAsync(new Uri(api, "v1/models"), Ct));
        return string.Join(",", doc.RootElement.GetProperty("data").EnumerateArray()
            .Select(m => $"{m.GetProperty("id").GetString()}:{m.GetProperty("mesh").GetProperty("nodes").GetInt32()}"));
    }

    private static async Task WaitForModelsAsync(Uri api, string first, string? second = null, int nodes = 1)
    {
        using var http = new HttpClient();
        var start = TimeProvider.System.GetTimestamp();
        while (true)
        {
            var list = await ModelListAsync(http, api);
            if (list.Contains($"{first}:{nodes}", StringComparison.Ordinal) && (second is null || list.Contains(second + ":", StringComparison.Ordinal)))
            {
                return;
            }

            if (TimeProvider.System.GetElapsedTime(start) > TimeSpan.FromSeconds(60))
            {
                throw new TimeoutException($"{api} lists only [{list}], waiting for {first} ({nodes} nodes) and {second}.");
            }

            await Task.Delay(200, Ct);
        }
    }
}

/// <summary>A node whose own model is still loading is already a full door to the rest of the mesh.</summary>
public sealed class MeshBootstrapTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task JoinerStillLoading_AnswersOtherModelsAtOnce_AndItsOwnWhenReady_WithNoRefusedConnection()
    {
        await using var a = StartServing(model: TestModels.TinyVariant("m1", 101));
        var token = await a.WaitForTokenAsync();
        await a.WaitForReadyAsync();
        var slow = new Dictionary<string, string?>(FastIntervals) { ["MESHLLM__INFERENCE__STARTUPDELAY"] = "00:00:08" };
        await using var b = MeshLlmProcess.Start(
            ["--model", TestModels.TinyVariant("m2", 202), "--backend", "embedded", "--port", "0", "--bind-port", "0", "--join", token], slow);
        var api = await b.WaitForApiAsync();
        await b.WaitForMeshAsync();
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(20) };

        var sawLoading = false;
        var statuses = new List<string>();
        var start = TimeProvider.System.GetTimestamp();
        while (true)
        {
            // Any refused connection throws here and fails the test.
            using var m1 = await http.PostAsync(new Uri(api, "v1/chat/completions"), Body("m1"), Ct);
            using var m2 = await http.PostAsync(new Uri(api, "v1/chat/completions"), Body("m2"), Ct);
            statuses.Add($"{(int)m1.StatusCode}/{(int)m2.StatusCode}");
            Assert.Equal(HttpStatusCode.OK, m1.StatusCode);
            if (m2.StatusCode == HttpStatusCode.ServiceUnavailable)
            {
                sawLoading = true;
                Assert.NotNull(m2.Headers.RetryAfter);
            }
            else
            {
                Assert.Equal(HttpStatusCode.OK, m2.StatusCode);
                Assert.Equal(IdOf(await StatusAsync(await b.WaitForConsoleAsync()))[..10], m2.Headers.GetValues("X-Mesh-Node").Single());
                break;
            }

            Assert.True(TimeProvider.System.GetElapsedTime(start) < TimeSpan.FromSeconds(60), "m2 never became ready: " + string.Join(" ", statuses));
            await Task.Delay(250, Ct);
        }

        Assert.True(sawLoading, "the test should have seen m2 loading first: " + string.Join(" ", statuses));
    }

    private static StringContent Body(string model) => new(
        JsonSerializer.Serialize(new { model, messages = new[] { new { role = "user", content = "Hi" } }, max_tokens = 4 }),
        Encoding.UTF8, "application/json");
}
