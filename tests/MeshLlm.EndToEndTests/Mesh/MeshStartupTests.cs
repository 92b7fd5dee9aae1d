using System.Globalization;
using System.Net;
using System.Net.Sockets;
using MeshLlm.Identity;
using MeshLlm.Testing;
using static MeshLlm.EndToEnd.Mesh.MeshNodes;

namespace MeshLlm.EndToEnd.Mesh;

/// <summary>How a node starts, waits and stops in the mesh: ports in use, unreachable tokens, ephemeral keys, clean leave.</summary>
public sealed class MeshStartupTests
{
    private static string Text(int port) => port.ToString(CultureInfo.InvariantCulture);

    [Fact]
    public async Task SigTerm_NodeLeaves_PeerDropsItAndExitZero()
    {
        await using var first = StartServing();
        var token = await first.WaitForTokenAsync();
        var console = await first.WaitForConsoleAsync();
        await using var second = StartJoiner(token);
        await second.WaitForMeshAsync();
        var secondId = IdOf(await StatusAsync(await second.WaitForConsoleAsync()));
        await WaitForStatusAsync(console, s => HasAlivePeers(s, secondId), "node 1 to see node 2");

        second.Signal(PosixSignal.SigTerm);

        Assert.Equal(0, await second.WaitForExitAsync());
        await WaitForStatusAsync(console, s => Peers(s).Count == 0, "node 1 to drop node 2, which left", TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task Join_NodeNotReachable_WarnsAndKeepsRunning()
    {
        var token = new InviteToken(NodeId.TryParse(new string('a', 64), out var id) ? id : default, [$"127.0.0.1:{FreePort()}"], MeshId.NewRandom(), InviteToken.NewSecret());

        await using var node = StartJoiner(token.Encode());
        var ready = await node.WaitForMeshAsync();

        Assert.Equal("pending", ready.Get("Outcome"));
        Assert.Contains("warning: Could not reach the node of any --join token yet", node.Stderr);
        Assert.False(node.HasExited);
        Assert.False(File.Exists(Path.Combine(node.Home, MeshFiles.LastMeshFileName)));
    }

    [Fact]
    public async Task EphemeralKeyVariable_EvenEmpty_NoKeyFileWritten()
    {
        var environment = new Dictionary<string, string?>(FastIntervals) { ["MESH_LLM_EPHEMERAL_KEY"] = "" };
        await using var node = MeshLlmProcess.Start(["--model", TestModels.Tiny, "--backend", "embedded", "--port", "0"], environment);

        await node.WaitForMeshAsync();

        Assert.False(File.Exists(Path.Combine(node.Home, NodeKey.FileName)));
        Assert.True(File.Exists(Path.Combine(node.Home, MeshFiles.SecretFileName)));
    }

    [Fact]
    public async Task ConsolePortInUse_OneLineError_ExitCode3()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;

        var (code, _, stderr) = await MeshLlmProcess.RunAsync(
            ["--model", TestModels.Tiny, "--backend", "embedded", "--port", "0", "--console", Text(port), "--log-format", "json"], Directory.CreateTempSubdirectory().FullName);

        Assert.Equal(3, code);
        // Only the user-facing lines: JSON log lines are for tools.
        var lines = stderr.Split('\n').Where(l => !l.StartsWith('{'));
        Assert.Equal($"error: Console port {port} is already in use (another mesh-llm node?). Stop it, or run with --console <n> or --no-console.", Assert.Single(lines));
    }

    [Fact]
    public async Task MeshPortInUse_OneLineError_ExitCode3()
    {
        using var listener = new TcpListener(IPAddress.Any, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;

        await using var node = MeshLlmProcess.Start(["--model", TestModels.Tiny, "--backend", "embedded", "--port", "0", "--bind-port", Text(port)]);

        Assert.Equal(3, await node.WaitForExitAsync());
        var errors = node.Stderr.Split('\n').Where(l => l.StartsWith("error: ", StringComparison.Ordinal));
        Assert.Equal("error: The mesh port (--bind-port) is already in use. Stop the other program or choose another port with --bind-port <n> (0 picks a free one).", Assert.Single(errors));
    }

    [Fact]
    public async Task NoConsole_NoConsoleListener()
    {
        await using var node = MeshLlmProcess.Start(["--model", TestModels.Tiny, "--backend", "embedded", "--port", "0", "--no-console"], FastIntervals);

        await node.WaitForMeshAsync();
        await node.WaitForApiAsync();

        Assert.Empty(node.Events(8501));
        Assert.DoesNotContain("Console:", node.Stdout);
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
