using System.Net.Security;
using System.Security.Authentication;
using Nerdbank.Streams;

namespace MeshLlm.Identity;

/// <summary>Mutual TLS 1.3 between node certificates over an in-memory duplex stream.</summary>
public sealed class NodeCertificateTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public void IdOf_CertificateFromKey_IsTheNodeId()
    {
        using var key = NodeKey.Ephemeral();
        using var certificate = NodeCertificate.Create(key, DateTimeOffset.UtcNow);

        Assert.Equal(key.Id, NodeCertificate.IdOf(certificate));
    }

    [Fact]
    public async Task MutualTls_ExpectedId_BothSidesLearnTheOther()
    {
        using var server = NodeKey.Ephemeral();
        using var client = NodeKey.Ephemeral();

        var (serverSeesClient, clientSeesServer) = await HandshakeAsync(server, client, expectedByClient: server.Id);

        Assert.Equal(client.Id, serverSeesClient);
        Assert.Equal(server.Id, clientSeesServer);
    }

    [Fact]
    public async Task MutualTls_WrongExpectedId_Rejected()
    {
        using var server = NodeKey.Ephemeral();
        using var client = NodeKey.Ephemeral();
        using var impostor = NodeKey.Ephemeral();

        await Assert.ThrowsAnyAsync<AuthenticationException>(() => HandshakeAsync(server, client, expectedByClient: impostor.Id));
    }

    private static async Task<(NodeId?, NodeId?)> HandshakeAsync(NodeKey serverKey, NodeKey clientKey, NodeId expectedByClient)
    {
        var (a, b) = FullDuplexStream.CreatePair();
        using var serverCert = NodeCertificate.Create(serverKey, DateTimeOffset.UtcNow);
        using var clientCert = NodeCertificate.Create(clientKey, DateTimeOffset.UtcNow);
        await using var serverTls = new SslStream(a);
        await using var clientTls = new SslStream(b);
        var serverTask = serverTls.AuthenticateAsServerAsync(new SslServerAuthenticationOptions
        {
            ServerCertificate = serverCert,
            ClientCertificateRequired = true,
            EnabledSslProtocols = SslProtocols.Tls13,
            RemoteCertificateValidationCallback = NodeCertificate.Validator(null),
        }, Ct);
        var clientTask = clientTls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
        {
            TargetHost = "mesh-llm",
            ClientCertificates = [clientCert],
            EnabledSslProtocols = SslProtocols.Tls13,
            RemoteCertificateValidationCallback = NodeCertificate.Validator(expectedByClient),
        }, Ct);
        try
        {
            await clientTask;
            await serverTask;
        }
        catch
        {
            // A rejected handshake leaves the other side waiting: close the pipe so it ends too.
            a.Dispose();
            b.Dispose();
            await Task.WhenAny(serverTask);
            throw;
        }

        return (NodeCertificate.IdOf(serverTls.RemoteCertificate), NodeCertificate.IdOf(clientTls.RemoteCertificate));
    }
}
