namespace MeshLlm.Identity;

public sealed class JoinProofTests
{
    private static readonly string s_secret = InviteToken.NewSecret();
    private static readonly byte[] s_dialerNonce = JoinProof.NewNonce();
    private static readonly byte[] s_acceptorNonce = JoinProof.NewNonce();
    private static readonly NodeId s_dialer = NodeKey.Ephemeral().Id;
    private static readonly NodeId s_acceptor = NodeKey.Ephemeral().Id;

    private static byte[] Proof(bool dialer, string? secret = null) =>
        JoinProof.Compute(secret ?? s_secret, dialer, s_dialerNonce, s_acceptorNonce, s_dialer, s_acceptor);

    [Fact]
    public void Verify_ProofFromHolderOfSecret_Accepted()
    {
        Assert.True(JoinProof.Verify(Proof(dialer: true), s_secret, true, s_dialerNonce, s_acceptorNonce, s_dialer, s_acceptor));
        Assert.True(JoinProof.Verify(Proof(dialer: false), s_secret, false, s_dialerNonce, s_acceptorNonce, s_dialer, s_acceptor));
    }

    [Fact]
    public void Verify_WrongSecret_Rejected() =>
        Assert.False(JoinProof.Verify(Proof(true, InviteToken.NewSecret()), s_secret, true, s_dialerNonce, s_acceptorNonce, s_dialer, s_acceptor));

    [Fact]
    public void Verify_ReflectedProof_Rejected() =>
        Assert.False(JoinProof.Verify(Proof(dialer: false), s_secret, true, s_dialerNonce, s_acceptorNonce, s_dialer, s_acceptor));

    [Fact]
    public void Verify_OtherNonceOrIds_Rejected()
    {
        var proof = Proof(dialer: true);

        Assert.False(JoinProof.Verify(proof, s_secret, true, JoinProof.NewNonce(), s_acceptorNonce, s_dialer, s_acceptor));
        Assert.False(JoinProof.Verify(proof, s_secret, true, s_dialerNonce, JoinProof.NewNonce(), s_dialer, s_acceptor));
        Assert.False(JoinProof.Verify(proof, s_secret, true, s_dialerNonce, s_acceptorNonce, s_acceptor, s_dialer));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(31)]
    [InlineData(33)]
    public void Verify_WrongLength_Rejected(int length) =>
        Assert.False(JoinProof.Verify(new byte[length], s_secret, true, s_dialerNonce, s_acceptorNonce, s_dialer, s_acceptor));
}
