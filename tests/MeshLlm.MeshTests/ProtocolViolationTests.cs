using MeshLlm.Membership;
using MeshLlm.Transport;

namespace MeshLlm.MeshTests;

public sealed class ProtocolViolationTests
{
    [Fact]
    public async Task BadFramesAndUnknownChannels_CloseTheChannel_ThenTheConnection()
    {
        await using var mesh = new TestMesh();
        var a = await mesh.StartAsync("A");
        var b = await mesh.StartAsync("B", [a]);
        var c = await mesh.StartAsync("C", [a]);
        await TestMesh.WaitAllAsync(mesh.Nodes, (n, s) => s.Peers.Length == 2, "full mesh");
        var toA = b.Node.Transport.Connections.Single(x => x.Remote == a.Id);
        var ct = TestContext.Current.CancellationToken;

        // One bad frame: the channel closes without an answer, the connection and the peer stay.
        var gossip = await toA.OpenChannelAsync(ChannelType.Gossip, TimeSpan.FromSeconds(2), ct);
        await gossip.Stream.WriteAsync(new byte[] { 0x7f, 0xff, 0xff, 0xff }, ct);
        await gossip.Stream.FlushAsync(ct);
        Assert.Null(await gossip.ReadFrameAsync(Membership.Messages.MembershipJsonContext.Default.GossipFrame, ct));
        Assert.False(toA.IsClosed);

        for (var i = 1; i < MeshConnection.MaxStrikes; i++)
        {
            var bad = await toA.OpenChannelAsync(i % 2 == 0 ? (ChannelType)0x7e : ChannelType.Gossip, TimeSpan.FromSeconds(2), ct);
            try
            {
                await FrameCodec.WriteAsync(bad.Stream, "not json"u8.ToArray(), ct);
                await bad.Stream.FlushAsync(ct);
            }
            catch (IOException)
            {
                // A reset a channel of unknown type as soon as it read the type byte (the strike is already counted):
                // writing to it after that fails, as it should.
            }
        }

        await toA.Closed.WaitAsync(TestMesh.MustHappen, ct);
        Assert.Contains(mesh.Logs.Lines, l => l.Contains("A Transport Warning", StringComparison.Ordinal) && l.Contains("protocol violations", StringComparison.Ordinal));
        // C was never involved and stays a healthy peer of A.
        Assert.Equal(PeerHealth.Alive, a.Peer(c)?.Health);
    }
}
