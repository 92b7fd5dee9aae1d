using System.Globalization;
using System.Text.Json;
using MeshLlm.Testing;

namespace MeshLlm.EndToEnd.Mesh;

/// <summary>Starts mesh nodes with short membership intervals and reads their <c>/api/status</c>.</summary>
internal static class MeshNodes
{
    /// <summary>Generous bound for things that must happen (kill -9 detection, restarts) on a loaded 2-core machine.</summary>
    public static readonly TimeSpan Generous = TimeSpan.FromSeconds(30);

    private static readonly HttpClient s_http = new() { Timeout = TimeSpan.FromSeconds(10) };

    /// <summary>Intervals in seconds instead of the production defaults, through the environment like a user would.</summary>
    public static readonly IReadOnlyDictionary<string, string?> FastIntervals = new Dictionary<string, string?>
    {
        ["MESHLLM__MESH__PINGINTERVAL"] = "00:00:01",
        ["MESHLLM__MESH__PINGTIMEOUT"] = "00:00:01",
        ["MESHLLM__MESH__MISSEDPINGS"] = "2",
        ["MESHLLM__MESH__CONFIRMTIMEOUT"] = "00:00:02",
        ["MESHLLM__MESH__REJOININTERVAL"] = "00:00:01",
        ["MESHLLM__MESH__GOSSIPINTERVAL"] = "00:00:02",
        ["MESHLLM__MESH__CLIENTREFRESHINTERVAL"] = "00:00:01",
    };

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>A node serving the tiny model on the embedded engine; starts a new mesh unless <paramref name="join"/> is given.</summary>
    public static MeshLlmProcess StartServing(string? join = null, string? model = null) =>
        MeshLlmProcess.Start(["--model", model ?? TestModels.Tiny, "--backend", "embedded", "--port", "0", "--console", "0", "--bind-port", "0", .. Join(join)], FastIntervals);

    /// <summary>A node without a model (a standby peer), or a passive client.</summary>
    public static MeshLlmProcess StartJoiner(string join, string? home = null, bool client = false) =>
        MeshLlmProcess.Start(["--port", "0", "--console", "0", "--bind-port", "0", .. Join(join), .. (client ? ClientFlag : [])], FastIntervals, home);

    private static readonly string[] ClientFlag = ["--client"];

    private static string[] Join(string? token) => token is null ? [] : ["--join", token];

    public static async Task<JsonElement> StatusAsync(Uri console)
    {
        var json = await s_http.GetStringAsync(new Uri(console, "api/status"), Ct);
        return JsonDocument.Parse(json).RootElement.Clone();
    }

    public static IReadOnlyList<JsonElement> Peers(JsonElement status) => [.. status.GetProperty("peers").EnumerateArray()];

    public static string IdOf(JsonElement status) => status.GetProperty("node_id").GetString()!;

    public static JsonElement? Peer(JsonElement status, string id) =>
        Peers(status).Where(p => p.GetProperty("id").GetString() == id).Cast<JsonElement?>().FirstOrDefault();

    /// <summary>Polls <paramref name="console"/>'s status until <paramref name="condition"/> holds; fails naming <paramref name="what"/> and the last status.</summary>
    public static async Task<JsonElement> WaitForStatusAsync(Uri console, Func<JsonElement, bool> condition, string what, TimeSpan? timeout = null)
    {
        var start = TimeProvider.System.GetTimestamp();
        var limit = timeout ?? Generous;
        while (true)
        {
            var status = await StatusAsync(console);
            if (condition(status))
            {
                return status;
            }

            if (TimeProvider.System.GetElapsedTime(start) > limit)
            {
                Assert.Fail($"Timed out after {limit.TotalSeconds.ToString(CultureInfo.InvariantCulture)} s waiting for {what} on {console}. Last status:\n{status}");
            }

            await Task.Delay(TimeSpan.FromMilliseconds(200), Ct);
        }
    }

    /// <summary>True when <paramref name="status"/> lists exactly <paramref name="ids"/> as peers, all alive.</summary>
    public static bool HasAlivePeers(JsonElement status, params string[] ids) =>
        Peers(status).Select(p => p.GetProperty("id").GetString()).Order().SequenceEqual(ids.Order())
        && Peers(status).All(p => p.GetProperty("state").GetString() == "alive");
}
