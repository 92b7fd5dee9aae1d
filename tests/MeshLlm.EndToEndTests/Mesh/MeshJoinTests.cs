using MeshLlm.Testing;
using static MeshLlm.EndToEnd.Mesh.MeshNodes;

namespace MeshLlm.EndToEnd.Mesh;

/// <summary>Real processes joining by token on loopback: membership, failure detection, restarts and passive clients.</summary>
public sealed class MeshJoinTests
{
    [Fact]
    public async Task ThreeNodes_JoinByToken_KillNineDropsPeer_RestartSameHomeComesBackWithSameId()
    {
        await using var first = StartServing();
        var token = await first.WaitForTokenAsync();
        var console1 = await first.WaitForConsoleAsync();
        await first.WaitForReadyAsync();
        await using var second = StartJoiner(token);
        await using var third = StartJoiner(token);
        var console2 = await second.WaitForConsoleAsync();
        var console3 = await third.WaitForConsoleAsync();
        await second.WaitForMeshAsync();
        await third.WaitForMeshAsync();
        var (id1, id2, id3) = (IdOf(await StatusAsync(console1)), IdOf(await StatusAsync(console2)), IdOf(await StatusAsync(console3)));

        await WaitForStatusAsync(console1, s => HasAlivePeers(s, id2, id3), "node 1 to see nodes 2 and 3 alive");
        await WaitForStatusAsync(console2, s => HasAlivePeers(s, id1, id3), "node 2 to see nodes 1 and 3 alive");
        var seenBy3 = await WaitForStatusAsync(console3, s => HasAlivePeers(s, id1, id2)
            && Peer(s, id1)?.GetProperty("model_state").GetString() == "ready", "node 3 to see nodes 1 (serving, ready) and 2 alive");
        var host = Peer(seenBy3, id1)!.Value;
        Assert.Equal("tiny", host.GetProperty("serving").GetString());
        Assert.Equal("host", host.GetProperty("role").GetString());
        Assert.Equal("embedded", host.GetProperty("backend").GetString());
        Assert.Equal("standby", Peer(seenBy3, id2)!.Value.GetProperty("role").GetString());

        third.Signal(PosixSignal.SigKill);
        await third.WaitForExitAsync();
        await WaitForStatusAsync(console1, s => HasAlivePeers(s, id2), "node 1 to drop the killed node 3");
        await WaitForStatusAsync(console2, s => HasAlivePeers(s, id1), "node 2 to drop the killed node 3");

        await using var restarted = StartJoiner(token, home: third.Home);
        var console3Again = await restarted.WaitForConsoleAsync();
        await restarted.WaitForMeshAsync();
        Assert.Equal(id3, IdOf(await StatusAsync(console3Again)));
        await WaitForStatusAsync(console1, s => HasAlivePeers(s, id2, id3), "node 1 to see the restarted node 3");
        await WaitForStatusAsync(console2, s => HasAlivePeers(s, id1, id3), "node 2 to see the restarted node 3");
        await WaitForStatusAsync(console3Again, s => HasAlivePeers(s, id1, id2), "the restarted node 3 to see nodes 1 and 2");
    }

    [Fact]
    public async Task PassiveClient_GetsRoutingTable_IsNotAPeerOfTheHost()
    {
        await using var host = StartServing();
        var token = await host.WaitForTokenAsync();
        var hostConsole = await host.WaitForConsoleAsync();
        await host.WaitForReadyAsync();
        var hostId = IdOf(await StatusAsync(hostConsole));

        await using var client = StartJoiner(token, client: true);
        var clientConsole = await client.WaitForConsoleAsync();
        await client.WaitForMeshAsync();

        var seen = await WaitForStatusAsync(clientConsole, s => Peer(s, hostId)?.GetProperty("model_state").GetString() == "ready",
            "the client's routing table to list the host serving tiny, ready");
        Assert.True(seen.GetProperty("client").GetBoolean());
        Assert.Equal("client", seen.GetProperty("role").GetString());
        Assert.Equal(System.Text.Json.JsonValueKind.Null, seen.GetProperty("token").ValueKind);
        Assert.Equal("tiny", Peer(seen, hostId)!.Value.GetProperty("serving").GetString());
        var hostStatus = await WaitForStatusAsync(hostConsole, s => s.GetProperty("clients").GetInt32() == 1, "the host to count one passive client");
        Assert.Empty(Peers(hostStatus));
        Assert.DoesNotContain("Invite token:", client.Stdout);
        Assert.False(File.Exists(Path.Combine(client.Home, "key")), "a passive client uses a throwaway key");

        client.Signal(PosixSignal.SigTerm);
        Assert.Equal(0, await client.WaitForExitAsync());
        await WaitForStatusAsync(hostConsole, s => s.GetProperty("clients").GetInt32() == 0 && Peers(s).Count == 0, "the host to forget the client that left");
    }
}
