using MeshLlm.Testing;

namespace MeshLlm.EndToEnd.Mesh;

/// <summary>
/// Two real nodes in two network namespaces joined by a veth pair: a pulled link makes each side declare the
/// other dead after the ping timeout, and plugging it back heals the mesh with the same processes.
/// </summary>
public sealed class NetworkNamespaceTests
{
    private const int PeerUp = 2002;
    private const int PeerDead = 2004;
    private const int PeerReconnected = 2007;

    [Fact]
    public async Task LinkDown_EachSideDeclaresTheOtherDead_LinkUp_HealsWithoutRestart()
    {
        if (NetworkNamespacePair.Unavailable() is { } why)
        {
            Assert.Skip(why);
        }

        await using var net = await NetworkNamespacePair.CreateAsync();
        await using var a = MeshLlmProcess.Start(
            ["--model", TestModels.Tiny, "--backend", "embedded", "--port", "0", "--bind-port", "0", "--no-console"], MeshNodes.FastIntervals, prefix: net.Exec(a: true));
        var token = await a.WaitForTokenAsync();
        await using var b = MeshLlmProcess.Start(["--join", token, "--port", "0", "--bind-port", "0", "--no-console"], MeshNodes.FastIntervals, prefix: net.Exec(a: false));
        var idA = (await a.WaitForMeshAsync()).Get("Node")!;
        var idB = (await b.WaitForMeshAsync()).Get("Node")!;
        await a.WaitForEventAsync(PeerUp, MeshNodes.Generous, e => e.Get("Peer") == idB);
        await b.WaitForEventAsync(PeerUp, MeshNodes.Generous, e => e.Get("Peer") == idA);
        Assert.Contains(net.AddressA, Token.Addresses(token));

        await net.CutAsync();
        var deadAtA = await a.WaitForEventAsync(PeerDead, MeshNodes.Generous, e => e.Get("Peer") == idB);
        var deadAtB = await b.WaitForEventAsync(PeerDead, MeshNodes.Generous, e => e.Get("Peer") == idA);
        Assert.NotNull(deadAtA.Get("Reason"));
        Assert.NotNull(deadAtB.Get("Reason"));

        await net.RestoreAsync();
        await a.WaitForEventAsync(PeerReconnected, MeshNodes.Generous, e => e.Get("Peer") == idB);
        await b.WaitForEventAsync(PeerReconnected, MeshNodes.Generous, e => e.Get("Peer") == idA);
        // Healed means each holds the other as a peer again: a second "peer up" after the death.
        await a.WaitForEventAsync(PeerUp, MeshNodes.Generous, e => e.Get("Peer") == idB, skip: 1);
        await b.WaitForEventAsync(PeerUp, MeshNodes.Generous, e => e.Get("Peer") == idA, skip: 1);
        Assert.False(a.HasExited);
        Assert.False(b.HasExited);
    }

    private static class Token
    {
        public static string Addresses(string token)
        {
            Assert.True(Identity.InviteToken.TryParse(token, out var parsed, out var error), error);
            return string.Join(",", parsed.Addresses);
        }
    }
}
