using MeshLlm.Identity;
using MeshLlm.Membership;
using MeshLlm.Membership.Messages;
using MeshLlm.Transport;
using Microsoft.Extensions.Logging.Abstractions;

namespace MeshLlm.MeshTests;

public sealed class AuthenticationTests
{
    [Fact]
    public async Task WrongJoinSecret_IsRefused_AndNeverAppearsInAnyTable()
    {
        await using var mesh = new TestMesh();
        var a = await mesh.StartAsync("A");
        var b = await mesh.StartAsync("B", [a]);
        var forged = a.Node.Token with { Secret = InviteToken.NewSecret() };
        var intruder = new MeshNode(NodeKey.Ephemeral(), mesh.Credentials, [forged], TestMesh.FastOptions(), new TransportOptions { BindAddress = "127.0.0.1", AdvertiseInterfaces = false }, TimeProvider.System, NullLoggerFactory.Instance);
        await using (intruder)
        {
            Assert.Equal(JoinResult.Refused, await intruder.StartAsync(TestContext.Current.CancellationToken));
            Assert.Empty(intruder.Snapshot.Peers);
        }

        Assert.All(new[] { a, b }, n => Assert.Single(n.Snapshot.Peers));
        Assert.All(new[] { a, b }, n => Assert.DoesNotContain(n.Node.Transport.Connections, c => c.Remote == intruder.Id));
    }

    [Fact]
    public async Task CertificateNotMatchingTheExpectedId_IsRejectedByTheDialer()
    {
        await using var mesh = new TestMesh();
        var a = await mesh.StartAsync("A");
        using var otherKey = NodeKey.Ephemeral();
        await using var dialer = new MeshTransport(NodeKey.Ephemeral(), mesh.Credentials.Secret, false, new TransportOptions(), TimeProvider.System, NullLogger.Instance);

        var error = await Assert.ThrowsAsync<MeshConnectException>(() => dialer.ConnectAsync(otherKey.Id, a.Node.Token.Addresses, fresh: false, TestContext.Current.CancellationToken));

        Assert.True(error.Rejected);
        Assert.Contains("TLS", error.Message, StringComparison.Ordinal);
        Assert.Empty(dialer.Connections);
        Assert.Empty(a.Snapshot.Peers);
    }

    [Fact]
    public async Task ForgedDeathAndLeave_AboutSomeoneElse_ChangeNothing()
    {
        await using var mesh = new TestMesh();
        var a = await mesh.StartAsync("A");
        var b = await mesh.StartAsync("B", [a]);
        var rogue = await mesh.StartAsync("rogue", [a]);
        await TestMesh.WaitAllAsync(mesh.Nodes, (n, s) => s.Peers.Length == 2, "full mesh");
        var toA = rogue.Node.Transport.Connections.Single(c => c.Remote == a.Id);

        // A member that claims B died, then "leaves" naming B: only its own departure may count.
        var down = await toA.OpenChannelAsync(ChannelType.PeerDown, TimeSpan.FromSeconds(2), TestContext.Current.CancellationToken);
        await down.WriteFrameAsync(new PeerDownFrame(1, b.Id.Hex, long.MaxValue), MembershipJsonContext.Default.PeerDownFrame, TestContext.Current.CancellationToken);
        await down.CloseAsync(TimeSpan.FromSeconds(1), TimeProvider.System);
        var leave = await toA.OpenChannelAsync(ChannelType.PeerLeaving, TimeSpan.FromSeconds(2), TestContext.Current.CancellationToken);
        await FrameCodec.WriteAsync(leave.Stream, System.Text.Encoding.UTF8.GetBytes($$"""{"v":1,"id":"{{b.Id.Hex}}"}"""), TestContext.Current.CancellationToken);
        await leave.CloseAsync(TimeSpan.FromSeconds(1), TimeProvider.System);

        await a.WaitAsync(s => s.Find(rogue.Id) is null, "the sender of the leave message gone");
        // Several ping rounds later B is still there, alive.
        await Task.Delay(TimeSpan.FromSeconds(2), TestContext.Current.CancellationToken);
        Assert.Equal(PeerHealth.Alive, a.Peer(b)?.Health);
        Assert.True(a.Peer(b)!.Connected);
    }

    [Fact]
    public async Task SimultaneousDials_LeaveExactlyOneConnectionBothSidesAgreeOn()
    {
        await using var mesh = new TestMesh();
        var a = await mesh.StartAsync("A");
        var b = await mesh.StartAsync("B");
        var tokenA = a.Node.Token;
        var tokenB = b.Node.Token;

        await Task.WhenAll(
            a.Node.Transport.ConnectAsync(b.Id, tokenB.Addresses, fresh: false, TestContext.Current.CancellationToken),
            b.Node.Transport.ConnectAsync(a.Id, tokenA.Addresses, fresh: false, TestContext.Current.CancellationToken));
        await Task.Delay(TimeSpan.FromMilliseconds(500), TestContext.Current.CancellationToken);

        Assert.True(a.Node.Transport.TryGetConnection(b.Id, out var atA));
        Assert.True(b.Node.Transport.TryGetConnection(a.Id, out var atB));
        Assert.Equal(atA.Dialer, atB.Dialer);
        Assert.Single(a.Node.Transport.Connections);
        Assert.Single(b.Node.Transport.Connections);
    }
}
