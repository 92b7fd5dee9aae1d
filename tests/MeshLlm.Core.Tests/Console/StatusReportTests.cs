using System.Text.Json;
using MeshLlm.Identity;
using MeshLlm.Inference;
using MeshLlm.Membership;
using MeshLlm.Membership.Messages;

namespace MeshLlm.Console;

public sealed class StatusReportTests
{
    private static NodeId Id(char c) => NodeId.TryParse(new string(c, 64), out var id) ? id : default;

    [Fact]
    public void Create_HostWithOnePeer_SnakeCaseDocumentWithEveryField()
    {
        var self = new PeerAnnouncement { Id = Id('a').Hex, Role = PeerRoles.Host, Version = "0.1.0" };
        var peer = new PeerAnnouncement
        {
            Id = Id('b').Hex, Role = PeerRoles.Standby, Serving = "tiny", ModelState = "loading", Backend = "llamacpp",
            VramBytes = 8_000_000_000, Addresses = ["10.0.0.2:4000"],
        };
        var snapshot = new MembershipSnapshot(3, self, "0123456789abcdef", [new PeerSnapshot(Id('b'), peer, PeerHealth.Suspected, 1.25, Connected: true)], 2);

        var document = StatusReport.Create(snapshot, "TOKEN", 9337, [new ServedModel("tiny", ServingStatus.Ready, null, 1, 2048, "embedded")]);
        var json = JsonDocument.Parse(JsonSerializer.Serialize(document, ConsoleJsonContext.Default.StatusDocument)).RootElement;

        Assert.Equal(Id('a').Hex, json.GetProperty("node_id").GetString());
        Assert.Equal("aaaaaaaaaa", json.GetProperty("short_id").GetString());
        Assert.Equal("0123456789abcdef", json.GetProperty("mesh_id").GetString());
        Assert.Equal("TOKEN", json.GetProperty("token").GetString());
        Assert.Equal("host", json.GetProperty("role").GetString());
        Assert.Equal("0.1.0", json.GetProperty("version").GetString());
        Assert.False(json.GetProperty("client").GetBoolean());
        Assert.Equal(9337, json.GetProperty("api_port").GetInt32());
        Assert.Equal(2, json.GetProperty("clients").GetInt32());
        var model = Assert.Single(json.GetProperty("serving").EnumerateArray());
        Assert.Equal("{\"model\":\"tiny\",\"state\":\"ready\",\"backend\":\"embedded\"}", JsonSerializer.Serialize(model));
        var p = Assert.Single(json.GetProperty("peers").EnumerateArray());
        Assert.Equal(Id('b').Hex, p.GetProperty("id").GetString());
        Assert.Equal("bbbbbbbbbb", p.GetProperty("short_id").GetString());
        Assert.Equal("standby", p.GetProperty("role").GetString());
        Assert.Equal("suspected", p.GetProperty("state").GetString());
        Assert.Equal(1.25, p.GetProperty("rtt_ms").GetDouble());
        Assert.Equal("tiny", p.GetProperty("serving").GetString());
        Assert.Equal("loading", p.GetProperty("model_state").GetString());
        Assert.Equal("llamacpp", p.GetProperty("backend").GetString());
        Assert.Equal(8_000_000_000, p.GetProperty("vram_bytes").GetInt64());
        Assert.Equal("10.0.0.2:4000", Assert.Single(p.GetProperty("addrs").EnumerateArray()).GetString());
        Assert.True(p.GetProperty("connected").GetBoolean());
    }

    [Fact]
    public void Create_Client_ClientTrueAndNoToken()
    {
        var self = new PeerAnnouncement { Id = Id('c').Hex, Role = PeerRoles.Client };

        var document = StatusReport.Create(new MembershipSnapshot(1, self, null, [], 0), null, 0, []);

        Assert.True(document.Client);
        Assert.Null(document.Token);
        Assert.Empty(document.Serving);
    }

    [Theory]
    [InlineData(ServingStatus.Loading, "loading")]
    [InlineData(ServingStatus.Ready, "ready")]
    [InlineData(ServingStatus.Failed, "failed")]
    [InlineData(ServingStatus.Lending, "lending")]
    [InlineData(ServingStatus.Waiting, "waiting")]
    public void StateName_EachStatus_Lowercase_AndParsesBack(ServingStatus status, string expected)
    {
        Assert.Equal(expected, ServingStatusNames.Of(status));
        Assert.Equal(status, ServingStatusNames.Parse(expected));
    }
}
