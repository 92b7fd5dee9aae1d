using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using MeshLlm.Identity;
using MeshLlm.Testing;
using static MeshLlm.EndToEnd.Mesh.MeshNodes;

namespace MeshLlm.EndToEnd.Mesh;

/// <summary>The mesh commands and options as a user meets them: token, status, rotate-key, and the errors.</summary>
public sealed class MeshCommandTests
{
    private static string NewHome() => Directory.CreateTempSubdirectory("mesh-llm-home-").FullName;

    [Fact]
    public async Task TokenAndStatus_AgainstRunningNode_PrintItsTokenAndTable()
    {
        await using var node = StartServing();
        var token = await node.WaitForTokenAsync();
        var console = await node.WaitForConsoleAsync();
        await node.WaitForReadyAsync();
        var port = console.Port.ToString(System.Globalization.CultureInfo.InvariantCulture);

        var printed = await MeshLlmProcess.RunAsync(["token", "--console-port", port], NewHome());
        var json = await MeshLlmProcess.RunAsync(["status", "--json", "--console-port", port], NewHome());
        var table = await MeshLlmProcess.RunAsync(["status", "--console-port", port], NewHome());

        Assert.Equal((0, token, ""), printed);
        Assert.Equal(0, json.Code);
        var status = JsonDocument.Parse(json.Stdout).RootElement;
        Assert.Equal(token, status.GetProperty("token").GetString());
        Assert.True(InviteToken.TryParse(token, out var parsed, out _));
        Assert.Equal(parsed.Node.Hex, status.GetProperty("node_id").GetString());
        Assert.Equal(parsed.Mesh.Value, status.GetProperty("mesh_id").GetString());
        Assert.Equal("host", status.GetProperty("role").GetString());
        Assert.False(status.GetProperty("client").GetBoolean());
        Assert.Equal((await node.WaitForApiAsync()).Port, status.GetProperty("api_port").GetInt32());
        var serving = Assert.Single(status.GetProperty("serving").EnumerateArray());
        Assert.Equal(("tiny", "ready", "embedded"), (serving.GetProperty("model").GetString(), serving.GetProperty("state").GetString(), serving.GetProperty("backend").GetString()));
        Assert.Equal(0, table.Code);
        Assert.Contains($"Node     {parsed.Node.ToShortString()}  host, serving tiny (ready, embedded)", table.Stdout);
        Assert.Contains($"Mesh     {parsed.Mesh.Value}", table.Stdout);
        Assert.Equal(parsed.Mesh, MeshFiles.ReadLastMesh(node.Home));
    }

    [Fact]
    public async Task Console_UnknownPath_404Json()
    {
        await using var node = StartServing();
        var console = await node.WaitForConsoleAsync();
        using var http = new HttpClient();

        using var response = await http.GetAsync(new Uri(console, "v1/models"), TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        var error = JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)).RootElement.GetProperty("error");
        Assert.Equal("unknown_url", error.GetProperty("code").GetString());
    }

    [Theory]
    [InlineData("status")]
    [InlineData("token")]
    public async Task StatusOrToken_NothingListening_OneLineErrorExit8(string command)
    {
        var port = FreePort();

        var (code, stdout, stderr) = await MeshLlmProcess.RunAsync([command, "--console-port", port.ToString(System.Globalization.CultureInfo.InvariantCulture)], NewHome());

        Assert.Equal(8, code);
        Assert.Equal("", stdout);
        Assert.Equal($"error: No mesh-llm node is running on 127.0.0.1:{port} (start one, or pass --console-port).", stderr);
    }

    [Fact]
    public async Task Join_MalformedToken_NamesWhichTokenAndWhatIsWrong_Exit2()
    {
        var good = new InviteToken(Ids.Node, ["127.0.0.1:9"], MeshId.NewRandom(), InviteToken.NewSecret()).Encode();
        Assert.False(InviteToken.TryParse("garbage", out _, out var expected));

        var (code, stdout, stderr) = await MeshLlmProcess.RunAsync(["--join", good, "--join", "garbage", "--port", "0", "--console", "0"], NewHome());

        Assert.Equal(2, code);
        Assert.Equal("", stdout);
        Assert.Equal($"error: --join token 2 of 2: {expected}", stderr);
    }

    [Fact]
    public async Task Join_TokenEditedToAnotherSecret_RefusedExit7_NeverInThePeerTable()
    {
        await using var node = StartServing();
        var token = await node.WaitForTokenAsync();
        var console = await node.WaitForConsoleAsync();
        Assert.True(InviteToken.TryParse(token, out var parsed, out _));
        var edited = (parsed with { Secret = InviteToken.NewSecret() }).Encode();

        await using var intruder = StartJoiner(edited);
        var code = await intruder.WaitForExitAsync();

        Assert.Equal(7, code);
        var errors = intruder.Stderr.Split('\n').Where(l => l.StartsWith("error: ", StringComparison.Ordinal)).ToList();
        Assert.Contains("join secret", Assert.Single(errors));
        Assert.Empty(Peers(await StatusAsync(console)));
        Assert.False(File.Exists(Path.Combine(intruder.Home, MeshFiles.LastMeshFileName)));
    }

    [Theory]
    [InlineData(1, "--client runs no engine", "--client", "--model", "MODEL")]
    [InlineData(1, "--client needs --join TOKEN", "--client")]
    [InlineData(1, "--mesh-name names a mesh this node starts", "--join", "TOKEN", "--mesh-name", "lab")]
    [InlineData(2, "--advertise 'no such host!' is not", "--model", "MODEL", "--advertise", "no such host!")]
    public async Task MeshOptions_WrongCombination_OneLineError(int exitCode, string message, params string[] args)
    {
        var token = new InviteToken(Ids.Node, ["127.0.0.1:9"], MeshId.NewRandom(), InviteToken.NewSecret()).Encode();
        args = [.. args.Select(a => a switch { "MODEL" => TestModels.Tiny, "TOKEN" => token, _ => a }), "--port", "0", "--console", "0"];
        var home = NewHome();

        var (code, _, stderr) = await MeshLlmProcess.RunAsync(args, home);

        Assert.Equal(exitCode, code);
        Assert.StartsWith("error: " + message, stderr);
        Assert.Single(stderr.Split('\n'));
        Assert.Empty(Directory.EnumerateFileSystemEntries(home));
    }

    [Fact]
    public async Task RotateKey_KeepsBackupOwnerOnly_ChangesId()
    {
        var home = NewHome();
        var keyPath = Path.Combine(home, "key");

        var created = await MeshLlmProcess.RunAsync(["rotate-key"], home);
        var oldKey = await File.ReadAllTextAsync(keyPath, TestContext.Current.CancellationToken);
        string oldId;
        using (var key = NodeKey.LoadOrCreate(home))
        {
            oldId = key.Id.ToShortString();
        }

        var rotated = await MeshLlmProcess.RunAsync(["rotate-key"], home);

        Assert.Equal((0, $"No node key existed in {home}; created a new one: id {oldId}.", ""), created);
        Assert.Equal(0, rotated.Code);
        using var newKey = NodeKey.LoadOrCreate(home);
        var backup = Assert.Single(Directory.GetFiles(home, "key.bak-*"));
        Assert.Matches(@"/key\.bak-\d{14}$", backup);
        Assert.Equal($"Rotated node key: old id {oldId} -> new id {newKey.Id.ToShortString()}; backup at {backup}. Restart running nodes to use it.", rotated.Stdout);
        Assert.NotEqual(oldId, newKey.Id.ToShortString());
        Assert.Equal(oldKey, await File.ReadAllTextAsync(backup, TestContext.Current.CancellationToken));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(backup));
    }

    [Fact]
    public async Task RotateKeyNostr_NewNpub_OldKeptOwnerOnly_NodeKeyUntouched()
    {
        var home = NewHome();
        var nsecPath = Path.Combine(home, "nostr.nsec");
        await MeshLlmProcess.RunAsync(["rotate-key"], home);
        var nodeKey = await File.ReadAllTextAsync(Path.Combine(home, "key"), TestContext.Current.CancellationToken);

        var created = await MeshLlmProcess.RunAsync(["rotate-key", "--nostr"], home);
        var oldNpub = MeshLlm.Discovery.Nostr.NostrKey.LoadOrCreate(nsecPath).Npub;
        var oldNsec = await File.ReadAllTextAsync(nsecPath, TestContext.Current.CancellationToken);
        var rotated = await MeshLlmProcess.RunAsync(["rotate-key", "--nostr"], home);

        Assert.Equal((0, $"No Nostr key existed; created one: {oldNpub}.", ""), created);
        Assert.Equal(0, rotated.Code);
        var newNpub = MeshLlm.Discovery.Nostr.NostrKey.LoadOrCreate(nsecPath).Npub;
        Assert.NotEqual(oldNpub, newNpub);
        var backup = Assert.Single(Directory.GetFiles(home, "nostr.nsec.bak-*"));
        Assert.StartsWith($"Rotated the Nostr key: {oldNpub} -> {newNpub}; backup at {backup}.", rotated.Stdout, StringComparison.Ordinal);
        Assert.Equal(oldNsec, await File.ReadAllTextAsync(backup, TestContext.Current.CancellationToken));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(backup));
        Assert.Equal(nodeKey, await File.ReadAllTextAsync(Path.Combine(home, "key"), TestContext.Current.CancellationToken));
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static class Ids
    {
        public static readonly NodeId Node = NodeId.TryParse(new string('a', 64), out var id) ? id : default;
    }
}
