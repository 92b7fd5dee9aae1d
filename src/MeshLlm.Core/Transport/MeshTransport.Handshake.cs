using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using MeshLlm.Identity;
using MeshLlm.Transport.Messages;

namespace MeshLlm.Transport;

public sealed partial class MeshTransport
{
    /// <summary>
    /// TLS 1.3 with both certificates, then hello (version, nonce, client flag), proof, result; both sides
    /// send each frame before reading the peer's, so the exchange takes three round trips at most.
    /// </summary>
    private async Task<MeshConnection> HandshakeAsync(Socket socket, bool outbound, NodeId? expected, string endPoint, CancellationToken ct)
    {
        socket.NoDelay = true;
        Stream network = new NetworkStream(socket, ownsSocket: true);
        network = _options.WrapStream?.Invoke(network) ?? network;
        var ssl = new SslStream(network, leaveInnerStreamOpen: false);
        try
        {
            if (outbound)
            {
                await ssl.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
                {
                    TargetHost = "mesh-llm",
                    ClientCertificateContext = _certificate,
                    EnabledSslProtocols = SslProtocols.Tls13,
                    CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
                    RemoteCertificateValidationCallback = NodeCertificate.Validator(expected),
                }, ct);
            }
            else
            {
                await ssl.AuthenticateAsServerAsync(new SslServerAuthenticationOptions
                {
                    ServerCertificateContext = _certificate,
                    ClientCertificateRequired = true,
                    EnabledSslProtocols = SslProtocols.Tls13,
                    CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
                    RemoteCertificateValidationCallback = NodeCertificate.Validator(null),
                }, ct);
            }

            var remote = NodeCertificate.IdOf(ssl.RemoteCertificate) ?? throw new HandshakeException("certificate", "peer sent no usable certificate");
            var (hello, peerHello) = await ExchangeAsync(ssl, new HelloFrame(ProtocolVersion, JoinProof.NewNonce(), IsClient, MeshName), TransportJsonContext.Default.HelloFrame, ct);
            var (dialer, acceptor) = outbound ? (LocalId, remote) : (remote, LocalId);
            var (dialerNonce, acceptorNonce) = outbound ? (hello.Nonce, peerHello.Nonce) : (peerHello.Nonce, hello.Nonce);
            var secret = JoinSecret;
            var (_, peerProof) = await ExchangeAsync(
                ssl, new ProofFrame(JoinProof.Compute(secret, outbound, dialerNonce, acceptorNonce, dialer, acceptor)), TransportJsonContext.Default.ProofFrame, ct);

            var verdict = Judge(remote, outbound, peerHello, JoinProof.Verify(peerProof.Proof, secret, !outbound, dialerNonce, acceptorNonce, dialer, acceptor));
            var (_, peerVerdict) = await ExchangeAsync(ssl, verdict, TransportJsonContext.Default.ResultFrame, ct);
            if (!verdict.Ok)
            {
                throw new HandshakeException(verdict.Code!, $"refused {remote.ToShortString()}: {verdict.Error}");
            }

            if (!peerVerdict.Ok)
            {
                throw new HandshakeException(peerVerdict.Code ?? "refused", $"{remote.ToShortString()} refused us: {peerVerdict.Error}");
            }

            return new MeshConnection(new MeshMux(ssl, outbound), LocalId, remote, outbound, peerHello.Client, endPoint, _time);
        }
        catch
        {
            await ssl.DisposeAsync();
            throw;
        }
    }

    private ResultFrame Judge(NodeId remote, bool outbound, HelloFrame peerHello, bool proofOk)
    {
        if (peerHello.Version < MinProtocolVersion)
        {
            return new ResultFrame(false, "version", $"protocol version {peerHello.Version} is too old (need {MinProtocolVersion}+); upgrade mesh-llm");
        }

        if (!proofOk)
        {
            var mesh = peerHello.Mesh is { } m && m != MeshName ? $" (it believes it is in mesh {m}, this node is in {MeshName})" : "";
            return new ResultFrame(false, "secret", "join secret does not match" + mesh + "; use a current invite token of this mesh");
        }

        if (remote == LocalId)
        {
            return new ResultFrame(false, "refused", "connected to itself");
        }

        if (IsClient && peerHello.Client)
        {
            return new ResultFrame(false, "refused", "both sides are passive clients");
        }

        return !outbound && RefuseAsDuplicate(remote)
            ? new ResultFrame(false, "duplicate", "both sides dialed at once; keeping the lower node id's connection")
            : new ResultFrame(true);
    }

    /// <summary>Writes our frame, then reads the peer's: both sides do the same, so neither waits on the other.</summary>
    private static async Task<(T Mine, T Theirs)> ExchangeAsync<T>(Stream stream, T mine, JsonTypeInfo<T> type, CancellationToken ct)
        where T : class
    {
        await FrameCodec.WriteAsync(stream, JsonSerializer.SerializeToUtf8Bytes(mine, type), ct);
        await stream.FlushAsync(ct);
        var (status, payload) = await FrameCodec.ReadAsync(stream, 16 * 1024, ct);
        if (status != FrameReadStatus.Ok)
        {
            throw new MeshProtocolException($"handshake frame is {status}");
        }

        try
        {
            return (mine, JsonSerializer.Deserialize(payload, type) ?? throw new MeshProtocolException("handshake frame is null"));
        }
        catch (JsonException e)
        {
            throw new MeshProtocolException("handshake frame does not match its schema: " + e.Message);
        }
    }
}
