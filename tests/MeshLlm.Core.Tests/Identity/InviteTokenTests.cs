using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;

namespace MeshLlm.Identity;

public sealed class InviteTokenTests
{
    private static readonly NodeId s_node = NodeId.FromPublicKey(ECDsa.Create(ECCurve.NamedCurves.nistP256));
    private static readonly MeshId s_mesh = MeshId.ForName("home", null);
    private static readonly string s_secret = InviteToken.NewSecret();

    private static string Raw(string json) => Base64Url.EncodeToString(Encoding.UTF8.GetBytes(json));

    private static string Json(string? v = "1", string? id = null, string? addrs = null, string? mesh = null, string? secret = null) =>
        "{" + string.Join(",", new[]
        {
            v is null ? null : $"\"v\":{v}",
            $"\"id\":{id ?? $"\"{s_node.Hex}\""}",
            $"\"addrs\":{addrs ?? "[\"192.168.1.5:4000\"]"}",
            $"\"mesh\":{mesh ?? $"\"{s_mesh.Value}\""}",
            $"\"secret\":{secret ?? $"\"{s_secret}\""}",
        }.Where(p => p is not null)) + "}";

    [Fact]
    public void Encode_ThenParse_RoundTrips()
    {
        var token = new InviteToken(s_node, ["10.0.0.2:4000", "[::1]:4001", "node.local:9"], s_mesh, s_secret);

        var text = token.Encode();

        Assert.True(InviteToken.TryParse(text, out var parsed, out var error), error);
        Assert.Equal(s_node, parsed.Node);
        Assert.Equal(token.Addresses, parsed.Addresses);
        Assert.Equal(s_mesh, parsed.Mesh);
        Assert.Equal(s_secret, parsed.Secret);
        Assert.DoesNotContain('=', text);
        Assert.DoesNotContain('+', text);
        Assert.DoesNotContain('/', text);
    }

    [Fact]
    public void TryParse_SurroundingWhitespace_IsIgnored() =>
        Assert.True(InviteToken.TryParse("  " + Raw(Json()) + "\n", out _, out _));

    [Fact]
    public void TryParse_UnknownFields_AreIgnored() =>
        Assert.True(InviteToken.TryParse(Raw(Json().TrimEnd('}') + ",\"future\":{\"x\":1}}"), out _, out _));

    public static TheoryData<string?, string> Malformed => new()
    {
        { null, "is empty" },
        { "", "is empty" },
        { new string('A', InviteToken.MaxLength + 1), "real tokens are far shorter" },
        { "not base64 !!!", "not base64url" },
        { Raw("hello"), "not JSON" },
        { Raw("[1,2]"), "not a JSON object" },
        { Raw(Json(v: null)), "no valid version" },
        { Raw(Json(v: "\"1\"")), "no valid version" },
        { Raw(Json(v: "0")), "no valid version" },
        { Raw(Json(v: "2")), "made by a newer mesh-llm" },
        { Raw(Json(id: "\"abc\"")), "node id is missing" },
        { Raw(Json(id: "\"" + new string('G', 64) + "\"")), "node id is missing" },
        { Raw(Json(id: "42")), "node id is missing" },
        { Raw(Json(addrs: "[]")), "no address" },
        { Raw(Json(addrs: "\"1.2.3.4:5\"")), "no address" },
        { Raw(Json(addrs: "[\"1.2.3.4\"]")), "invalid address '1.2.3.4'" },
        { Raw(Json(addrs: "[\"1.2.3.4:0\"]")), "invalid address" },
        { Raw(Json(addrs: "[\"1.2.3.4:70000\"]")), "invalid address" },
        { Raw(Json(addrs: "[\":80\"]")), "invalid address" },
        { Raw(Json(addrs: "[\"::1:80\"]")), "invalid address" },
        { Raw(Json(addrs: "[\"[nope]:80\"]")), "invalid address" },
        { Raw(Json(addrs: "[5]")), "invalid address '5'" },
        { Raw(Json(mesh: "\"xyz\"")), "mesh id is missing or malformed" },
        { Raw(Json(mesh: "null")), "mesh id is missing or malformed" },
        { Raw(Json(secret: "\"short\"")), "join secret is missing or too short" },
        { Raw(Json(secret: "7")), "join secret is missing or too short" },
    };

    [Theory]
    [MemberData(nameof(Malformed))]
    public void TryParse_Malformed_FailsWithSpecificMessage(string? text, string expected)
    {
        Assert.False(InviteToken.TryParse(text, out _, out var error));
        Assert.Contains(expected, error);
    }

    [Fact]
    public void TryParse_RandomInput_NeverThrows()
    {
        var random = new Random(99);
        var valid = Raw(Json());
        for (var i = 0; i < 5_000; i++)
        {
            var chars = valid.ToCharArray();
            for (var flips = random.Next(1, 4); flips > 0; flips--)
            {
                chars[random.Next(chars.Length)] = (char)random.Next(32, 127);
            }

            // Either outcome is fine; a valid result must be complete, a failure must say why.
            foreach (var text in new[] { new string(chars), Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(random.Next(0, 200))) })
            {
                if (InviteToken.TryParse(text, out var token, out var error))
                {
                    Assert.NotEmpty(token.Addresses);
                }
                else
                {
                    Assert.NotEmpty(error);
                }
            }
        }
    }
}
