using System.Security.Cryptography;

namespace MeshLlm.Identity;

public sealed class IdsTests
{
    [Fact]
    public void NodeId_IsSha256OfSubjectPublicKeyInfo()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);

        var id = NodeId.FromPublicKey(key);

        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(key.ExportSubjectPublicKeyInfo())), id.Hex);
        Assert.Equal(id.Hex[..10], id.ToShortString());
    }

    [Theory]
    [InlineData("", false)]
    [InlineData("abc", false)]
    [InlineData("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", true)]
    [InlineData("0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef", false)]
    [InlineData("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcde", false)]
    public void NodeId_TryParse(string text, bool valid) => Assert.Equal(valid, NodeId.TryParse(text, out _));

    [Fact]
    public void NodeId_OrderIsOrdinalHex()
    {
        Assert.True(NodeId.TryParse(new string('0', 63) + "1", out var low));
        Assert.True(NodeId.TryParse("f" + new string('0', 63), out var high));

        Assert.True(low < high);
        Assert.True(high.CompareTo(low) > 0);
    }

    [Fact]
    public void MeshId_ForName_IsFirst16HexOfSha256()
    {
        var expected = Convert.ToHexStringLower(SHA256.HashData("mesh-llm:test-mesh:"u8))[..16];

        Assert.Equal(expected, MeshId.ForName("test-mesh", null).Value);
        Assert.NotEqual(expected, MeshId.ForName("test-mesh", "ab").Value);
    }

    [Fact]
    public void MeshId_NewRandom_Is32HexAndParses()
    {
        var id = MeshId.NewRandom();

        Assert.Equal(32, id.Value.Length);
        Assert.True(MeshId.TryParse(id.Value, out var parsed));
        Assert.Equal(id, parsed);
        Assert.NotEqual(id, MeshId.NewRandom());
    }
}
