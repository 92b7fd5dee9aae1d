using MeshLlm.Identity;
using MeshLlm.Membership;

namespace MeshLlm.MeshTests;

/// <summary>What <c>--auto</c> needs from a node: try tokens of several meshes, keep only the one joined, or start its own.</summary>
public sealed class AutoJoinTests
{
    [Fact]
    public async Task NoTokenWorks_StartOwnMesh_TakesTheNewSecret_AndOthersJoinIt()
    {
        await using var gone = new TestMesh();
        var dead = await gone.StartAsync("dead");
        var deadToken = dead.Node.Token;
        await dead.DisposeAsync();

        await using var mesh = new TestMesh();
        var own = new MeshCredentials(MeshId.NewRandom(), InviteToken.NewSecret());
        var b = await mesh.StartAsync("b", tokens: [deadToken], credentials: new MeshCredentials(deadToken.Mesh, deadToken.Secret));
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

        var node = await mesh.StartAsync("self", tokens: [ownToken], key: key);

        Assert.Equal(JoinResult.Pending, node.JoinResult); // not refused: --auto falls back to its own mesh
        Assert.Contains("that is this node", node.Node.LastJoinError, StringComparison.Ordinal);
    }
}
