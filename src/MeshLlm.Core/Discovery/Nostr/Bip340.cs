using NBitcoin.Secp256k1;

namespace MeshLlm.Discovery.Nostr;

/// <summary>BIP-340 Schnorr verification over x-only secp256k1 keys (NBitcoin.Secp256k1); false, never an exception, for bad input.</summary>
internal static class Bip340
{
    public static bool Verify(ReadOnlySpan<byte> publicKey32, ReadOnlySpan<byte> message32, ReadOnlySpan<byte> signature64) =>
        publicKey32.Length == 32 && message32.Length == 32 && signature64.Length == 64
        && ECXOnlyPubKey.TryCreate(publicKey32, out var publicKey)
        && SecpSchnorrSignature.TryCreate(signature64, out var signature)
        && publicKey.SigVerifyBIP340(signature, message32);
}
