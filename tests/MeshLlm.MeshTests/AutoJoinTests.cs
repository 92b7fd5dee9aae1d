using MeshLlm.Identity;
using MeshLlm.Membership;
using MeshLlm.Transport;

namespace MeshLlm.MeshTests;

/// <summary>What <c>--auto</c> needs from a node: try tokens of several meshes, keep only the one joined, or start its own.</summary>
public sealed class AutoJoinTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task NoTokenWorks_StartOwnMesh_TakesTheNewSecret_AndOthersJoinIt()
    {
        await using var gone = new TestMesh();
        var dead = await gone.StartAsync("dead");
        var deadToken = dead.Node.Token;
        await dead.DisposeAsync();

        await using var mesh = new TestMesh();
        var own = new MeshCredentials(MeshId.NewRandom(), InviteToken.NewSecret());
        await using var b = await StartWithTokensAsync(mesh, "b", [deadToken]);
        Assert.Equal(JoinResult.Pending, b.JoinResult);

        Assert.True(b.Node.StartOwnMesh(own));
        Assert.Equal(own.Mesh, b.Node.Mesh);
        Assert.Equal(own.Mesh.Value, b.Snapshot.Self.Mesh);
        Assert.False(b.Node.StartOwnMesh(new MeshCredentials(MeshId.NewRandom(), InviteToken.NewSecret()))); // once only

        // The new token carries the new secret: a node joining with it gets in.
        var c = await mesh.StartAsync("c", [b], credentials: own);
        Assert.Equal(JoinResult.Joined, c.JoinResult);
        await TestMesh.WaitAllAsync([b, c], (n, s) => s.Peers.Any(p => p.Health == PeerHealth.Alive), "b and c see each other");
    }

    [Fact]
    public async Task ItsOwnToken_IsSkipped_NotDialed()
    {
        await using var mesh = new TestMesh();
        var key = NodeKey.Ephemeral();
        var ownToken = new InviteToken(key.Id, ["127.0.0.1:9"], mesh.Credentials.Mesh, mesh.Credentials.Secret);
        var node = new MeshNode(key, mesh.Credentials, [ownToken], TestMesh.FastOptions(),
            new TransportOptions { BindAddress = "127.0.0.1", AdvertiseInterfaces = false }, TimeProvider.System, mesh.Logs.For("self"));
        await using var test = new TestNode("self", node, new Link(), mesh.Logs);

        var result = await node.StartAsync(Ct);

        Assert.Equal(JoinResult.Pending, result); // not refused: --auto falls back to its own mesh
        Assert.Contains("that is this node", node.LastJoinError, StringComparison.Ordinal);
    }

    private static async Task<TestNode> StartWithTokensAsync(TestMesh mesh, string name, IReadOnlyList<InviteToken> tokens)
    {
        var transport = new TransportOptions
        {
            BindAddress = "127.0.0.1",
            AdvertiseInterfaces = false,
            ConnectTimeout = TimeSpan.FromSeconds(1),
            HandshakeTimeout = TimeSpan.FromSeconds(2),
        };
        transport.Advertise.Add("127.0.0.1");
        var node = new MeshNode(NodeKey.Ephemeral(), new MeshCredentials(tokens[0].Mesh, tokens[0].Secret), tokens,
            TestMesh.FastOptions(), transport, TimeProvider.System, mesh.Logs.For(name));
        return new TestNode(name, node, new Link(), mesh.Logs) { JoinResult = await node.StartAsync(Ct) };
    }
}
