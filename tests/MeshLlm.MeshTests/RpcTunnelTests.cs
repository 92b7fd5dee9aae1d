using System.Net;
using System.Net.Sockets;
using MeshLlm.Transport;
using MeshLlm.Tunnels;
using Microsoft.Extensions.Logging.Abstractions;

namespace MeshLlm.MeshTests;

/// <summary>RPC tunnels between real nodes, with a TCP server standing in for rpc-server.</summary>
public sealed class RpcTunnelTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task BytesGoThroughBothWays_AndHalfCloseIsPassedOn()
    {
        await using var mesh = new TestMesh();
        var host = await mesh.StartAsync("host");
        var partner = await mesh.StartAsync("partner", [host]);
        using var rpcServer = EchoAfterEof();
        partner.Node.SetChannelHandler(ChannelType.RpcTunnel, new RpcTunnelServer(() => rpcServer.Port, NullLogger<RpcTunnelServer>.Instance).HandleAsync);
        await using var tunnel = RpcTunnelListener.Start(host.Node, partner.Id, NullLogger.Instance);

        var payload = new byte[3 * 1024 * 1024];
        Random.Shared.NextBytes(payload);
        using var client = new Socket(SocketType.Stream, ProtocolType.Tcp);
        await client.ConnectAsync(new IPEndPoint(IPAddress.Loopback, tunnel.Port), Ct);
        await client.SendAsync(payload, SocketFlags.None, Ct);
        client.Shutdown(SocketShutdown.Send);

        // The server answers only after it saw the end of our data: that end must have crossed the tunnel.
        var echoed = await ReadToEndAsync(client);
        Assert.Equal(payload, echoed);
    }

    [Fact]
    public async Task PartnerDiesMidSession_TheLocalConnectionIsReset_NotEndedCleanly()
    {
        await using var mesh = new TestMesh();
        var host = await mesh.StartAsync("host");
        var partner = await mesh.StartAsync("partner", [host]);
        using var rpcServer = Endless();
        partner.Node.SetChannelHandler(ChannelType.RpcTunnel, new RpcTunnelServer(() => rpcServer.Port, NullLogger<RpcTunnelServer>.Instance).HandleAsync);
        await using var tunnel = RpcTunnelListener.Start(host.Node, partner.Id, NullLogger.Instance);
        using var client = new Socket(SocketType.Stream, ProtocolType.Tcp);
        await client.ConnectAsync(new IPEndPoint(IPAddress.Loopback, tunnel.Port), Ct);
        var buffer = new byte[64 * 1024];
        Assert.True(await client.ReceiveAsync(buffer, SocketFlags.None, Ct) > 0);

        await partner.DisposeAsync();

        var error = await Assert.ThrowsAsync<SocketException>(async () =>
        {
            while (await client.ReceiveAsync(buffer, SocketFlags.None, Ct) > 0)
            {
            }
        });
        Assert.Equal(SocketError.ConnectionReset, error.SocketErrorCode);
    }

    [Fact]
    public async Task PassiveClients_CannotReachAnRpcServer()
    {
        await using var mesh = new TestMesh();
        var partner = await mesh.StartAsync("partner");
        var client = await mesh.StartAsync("client", [partner], configure: o => o.Client = true, reachable: false);
        var connections = 0;
        using var rpcServer = EchoAfterEof(() => Interlocked.Increment(ref connections));
        partner.Node.SetChannelHandler(ChannelType.RpcTunnel, new RpcTunnelServer(() => rpcServer.Port, NullLogger<RpcTunnelServer>.Instance).HandleAsync);
        await using var tunnel = RpcTunnelListener.Start(client.Node, partner.Id, NullLogger.Instance);

        using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, tunnel.Port), Ct);
        await socket.SendAsync(new byte[] { 1, 2, 3 }, SocketFlags.None, Ct);
        socket.Shutdown(SocketShutdown.Send);

        Assert.Empty(await ReadToEndAsync(socket));
        Assert.Equal(0, connections);
    }

    private static async Task<byte[]> ReadToEndAsync(Socket socket)
    {
        using var received = new MemoryStream();
        var buffer = new byte[64 * 1024];
        int read;
        while ((read = await socket.ReceiveAsync(buffer, SocketFlags.None, Ct)) > 0)
        {
            received.Write(buffer, 0, read);
        }

        return received.ToArray();
    }

    /// <summary>Reads everything until the client's end of data, then sends it all back and closes.</summary>
    private static TestServer EchoAfterEof(Action? onConnection = null) => new(async socket =>
    {
        onConnection?.Invoke();
        var data = await ReadToEndAsync(socket);
        await socket.SendAsync(data, SocketFlags.None, Ct);
        socket.Shutdown(SocketShutdown.Send);
    });

    /// <summary>Sends data until the connection breaks.</summary>
    private static TestServer Endless() => new(async socket =>
    {
        var chunk = new byte[16 * 1024];
        while (true)
        {
            await socket.SendAsync(chunk, SocketFlags.None, Ct);
            await Task.Delay(5, Ct);
        }
    });

    private sealed class TestServer : IDisposable
    {
        private readonly TcpListener _listener = new(IPAddress.Loopback, 0);

        public TestServer(Func<Socket, Task> serve)
        {
            _listener.Start();
            Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
            _ = Task.Run(async () =>
            {
                while (true)
                {
                    var socket = await _listener.AcceptSocketAsync(Ct);
                    _ = Task.Run(async () =>
                    {
                        using (socket)
                        {
                            try
                            {
                                await serve(socket);
                            }
                            catch (Exception e) when (e is SocketException or OperationCanceledException or ObjectDisposedException)
                            {
                            }
                        }
                    });
                }
            });
        }

        public int Port { get; }

        public void Dispose() => _listener.Stop();
    }
}
