using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace MeshLlm.Identity;

/// <summary>
/// The self-signed TLS certificate a node presents, made from its <see cref="NodeKey"/>. Peers trust no CA:
/// they check that the certificate's public key hashes to the node id they expect (DESIGN.md §6).
/// </summary>
public static class NodeCertificate
{
    /// <summary>Makes a certificate for this key, valid from a day ago (clock skew) for ten years.</summary>
    public static X509Certificate2 Create(NodeKey key, DateTimeOffset utcNow)
    {
        var request = new CertificateRequest($"CN=mesh-llm-{key.Id.ToShortString()}", key.Key, HashAlgorithmName.SHA256);
        using var certificate = request.CreateSelfSigned(utcNow.AddDays(-1), utcNow.AddYears(10));
        // An ephemeral-key certificate cannot be used by SslStream on Linux; round-trip through PKCS#12.
        return X509CertificateLoader.LoadPkcs12(certificate.Export(X509ContentType.Pkcs12), null);
    }

    /// <summary>The node id a certificate speaks for: SHA-256 of its SubjectPublicKeyInfo.</summary>
    public static NodeId? IdOf(X509Certificate? certificate)
    {
        if (certificate is null)
        {
            return null;
        }

        using var x509 = new X509Certificate2(certificate);
        using var key = x509.GetECDsaPublicKey();
        return key is null ? null : NodeId.FromPublicKey(key);
    }

    /// <summary>
    /// A validation callback accepting exactly the certificate of <paramref name="expected"/> (dialer side), or any
    /// well-formed node certificate when <paramref name="expected"/> is null (acceptor side: the id is learned).
    /// </summary>
    public static RemoteCertificateValidationCallback Validator(NodeId? expected) =>
        (_, certificate, _, _) => IdOf(certificate) is { } id && (expected is null || id == expected);
}
