using MeshLlm.Identity;
using MeshLlm.Membership;
using MeshLlm.Membership.Messages;
using MeshLlm.Models;

namespace MeshLlm.Planning;

public sealed class AssignmentPolicyTests
{
    private const long Gb = 1_000_000_000;
    private static readonly Dictionary<string, double> s_noDemand = [];

    private static NodeId Id(char c)
    {
        Assert.True(NodeId.TryParse(new string(c, 64), out var id));
        return id;
    }

    private static PeerAnnouncement Node(char id, string? serving = null, string state = "ready", params string[] wanted) =>
        new() { Id = Id(id).Hex, Serving = serving, ModelState = serving is null ? null : state, Wanted = wanted };

    private static MembershipSnapshot Mesh(params PeerAnnouncement[] peers) =>
        new(1, Node('0'), "m", [.. peers.Select(p => new PeerSnapshot(NodeId.TryParse(p.Id, out var id) ? id : default, p, PeerHealth.Alive, null, true))], 0);

    private static LocalModel Disk(string name, long gb = 1) => new(name, "/models/" + name + ".gguf", gb * Gb, LocalModels.IsDraft(name));

    [Fact]
    public void Choose_WantedUnservedOnDiskAndFits_IsAssigned()
    {
        var mesh = Mesh(Node('a', "m1", wanted: ["m1", "m2"]));

        var decision = AssignmentPolicy.Choose(mesh, [Disk("m1"), Disk("m2")], 8 * Gb, s_noDemand);

        Assert.Equal("m2", decision?.Model.Name);
        Assert.Contains("wanted", decision!.Reason, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("ready")]
    [InlineData("loading")]
    public void Choose_WantedButServedOrLoadingSomewhere_IsNotAssignedAsUnserved(string state)
    {
        var mesh = Mesh(Node('a', wanted: ["m2"]), Node('b', "m2", state));

        Assert.Null(AssignmentPolicy.Choose(mesh, [Disk("m2")], 8 * Gb, s_noDemand));
    }

    [Fact]
    public void Choose_DraftIsNeverAssigned_EvenWhenWantedAndUnserved()
    {
        var mesh = Mesh(Node('a', wanted: ["Qwen3-0.6B-Q8_0", "m2"]));

        Assert.Equal("m2", AssignmentPolicy.Choose(mesh, [Disk("Qwen3-0.6B-Q8_0"), Disk("m2")], 8 * Gb, s_noDemand)?.Model.Name);
        Assert.Null(AssignmentPolicy.Choose(mesh, [Disk("Qwen3-0.6B-Q8_0")], 8 * Gb, s_noDemand));
    }

    [Theory]
    [InlineData(10, 11, true)]   // 11 GB usable ≥ 10 GB × 1.1
    [InlineData(10, 10, false)]
    public void Choose_OnlyModelsThatFit(long modelGb, long usableGb, bool assigned)
    {
        var mesh = Mesh(Node('a', wanted: ["big"]));

        Assert.Equal(assigned, AssignmentPolicy.Choose(mesh, [Disk("big", modelGb)], usableGb * Gb, s_noDemand) is not null);
    }

    [Fact]
    public void Choose_NothingWanted_PicksTheModelWithMostDemandPerServer_ElseStandby()
    {
        var mesh = Mesh(Node('a', "m1"), Node('b', "m1"), Node('c', "m2"));
        var disk = new[] { Disk("m1"), Disk("m2") };

        Assert.Null(AssignmentPolicy.Choose(mesh, disk, 8 * Gb, s_noDemand));
        Assert.Equal("m1", AssignmentPolicy.Choose(mesh, disk, 8 * Gb, new Dictionary<string, double> { ["m1"] = 30, ["m2"] = 10 })?.Model.Name);
        Assert.Equal("m2", AssignmentPolicy.Choose(mesh, disk, 8 * Gb, new Dictionary<string, double> { ["m1"] = 30, ["m2"] = 20 })?.Model.Name);
    }

    [Fact]
    public void Promote_WhenTheLastServerOfAWantedModelIsGone()
    {
        var disk = new[] { Disk("m1") };
        Assert.Null(AssignmentPolicy.Promote(Mesh(Node('a', "m1"), Node('b', wanted: ["m1"])), disk, 8 * Gb, s_noDemand));

        var decision = AssignmentPolicy.Promote(Mesh(Node('b', wanted: ["m1"])), disk, 8 * Gb, s_noDemand);

        Assert.Equal("m1", decision?.Model.Name);
    }

    [Theory]
    [InlineData(10, 3.33, true)]
    [InlineData(10, 0, true)]
    [InlineData(9.9, 0, false)]
    [InlineData(10, 4, false)]
    [InlineData(30, 10, true)]
    [InlineData(29.9, 10, false)]
    public void IsHot_Boundaries(double perServer, double coldest, bool hot) =>
        Assert.Equal(hot, AssignmentPolicy.IsHot(perServer, coldest));

    [Fact]
    public void Promote_ByDemand_FollowsTheThresholds()
    {
        var mesh = Mesh(Node('a', "m1"), Node('b', "m2"));
        var disk = new[] { Disk("m1"), Disk("m2") };

        Assert.Equal("m1", AssignmentPolicy.Promote(mesh, disk, 8 * Gb, new Dictionary<string, double> { ["m1"] = 12, ["m2"] = 4 })?.Model.Name);
        Assert.Null(AssignmentPolicy.Promote(mesh, disk, 8 * Gb, new Dictionary<string, double> { ["m1"] = 12, ["m2"] = 4.1 }));
        Assert.Null(AssignmentPolicy.Promote(mesh, disk, 8 * Gb, new Dictionary<string, double> { ["m1"] = 9.9, ["m2"] = 0 }));
        // Hot but not on this disk: nothing to promote to.
        Assert.Null(AssignmentPolicy.Promote(mesh, [Disk("m2")], 8 * Gb, new Dictionary<string, double> { ["m1"] = 50, ["m2"] = 1 }));
    }
}
