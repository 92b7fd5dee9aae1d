using System.Text.Json.Serialization;

namespace MeshLlm.Transport.Messages;

/// <summary>First frame each side sends after TLS. Version rule: unknown fields are ignored; a peer whose
/// <see cref="Version"/> is below <see cref="MeshTransport.MinProtocolVersion"/> is refused with a result frame.</summary>
public sealed record HelloFrame(
    [property: JsonPropertyName("v")] int Version,
    [property: JsonPropertyName("nonce")] byte[] Nonce,
    [property: JsonPropertyName("client")] bool Client,
    [property: JsonPropertyName("mesh")] string? Mesh);

/// <summary>Second frame: HMAC proof of the join secret (<see cref="Identity.JoinProof"/>).</summary>
public sealed record ProofFrame([property: JsonPropertyName("proof")] byte[] Proof);

/// <summary>Last handshake frame: whether this side accepts the connection, and why not.</summary>
/// <remarks><see cref="Code"/> is one of <c>secret</c>, <c>version</c>, <c>duplicate</c>, <c>refused</c>.</remarks>
public sealed record ResultFrame(
    [property: JsonPropertyName("ok")] bool Ok,
    [property: JsonPropertyName("code")] string? Code = null,
    [property: JsonPropertyName("error")] string? Error = null);

[JsonSerializable(typeof(HelloFrame))]
[JsonSerializable(typeof(ProofFrame))]
[JsonSerializable(typeof(ResultFrame))]
internal sealed partial class TransportJsonContext : JsonSerializerContext;
