using MeshLlm.Identity;
using MeshLlm.Membership;
using MeshLlm.Membership.Messages;
using MeshLlm.Models;
using static MeshLlm.Models.TestCatalogEntries;

namespace MeshLlm.Planning;

/// <summary>What an <c>--auto</c> joiner with nothing to serve on disk downloads (<see cref="AssignmentPolicy.ChooseDownload"/>).</summary>
public sealed class ChooseDownloadTests
{
    private const long Gb = 1_000_000_000;

    private static readonly ModelCatalog s_catalog = new(
    [
        Entry("Small-A", 2 * Gb, quality: 20),
        Entry("Small-B", 2 * Gb, quality: 30),
        Entry("Big", 20 * Gb, quality: 45),
        Entry("Draft", Gb / 4, quality: 1, isDraft: true),
    ], "test");

    private static PeerAnnouncement Node(char id, string? serving = null, string state = "ready", params string[] wanted) =>
        new() { Id = new string(id, 64), Serving = serving, ModelState = serving is null ? null : state, Wanted = wanted };

    private static MembershipSnapshot Mesh(params PeerAnnouncement[] peers) =>
        new(1, Node('0'), "m", [.. peers.Select(p => new PeerSnapshot(NodeId.TryParse(p.Id, out var id) ? id : default, p, PeerHealth.Alive, null, true))], 0);

    private static Dictionary<string, double> Rates(params (string Model, double Rpm)[] rates) => rates.ToDictionary(r => r.Model, r => r.Rpm);

    private static string? Choose(MembershipSnapshot mesh, Dictionary<string, double>? rates = null, long usable = 8 * Gb, bool hasOwnModels = false) =>
        AssignmentPolicy.ChooseDownload(mesh, s_catalog, rates ?? [], usable, hasOwnModels)?.Model.Name;

    [Fact]
    public void WantedAndUnserved_ComesFirst_EvenOverABusyServedModel()
    {
        var mesh = Mesh(Node('a', "Small-A", wanted: ["Small-A", "Small-B"]));

        Assert.Equal("Small-B", Choose(mesh, Rates(("Small-A", 50))));
        Assert.Contains("wanted", AssignmentPolicy.ChooseDownload(mesh, s_catalog, Rates(), 8 * Gb, false)!.Value.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void WantedButLoadingSomewhere_IsNotLacking()
    {
        Assert.Null(Choose(Mesh(Node('a', "Small-B", state: "loading", wanted: ["Small-B"])), hasOwnModels: true));
    }

    [Fact]
    public void Hottest_ByRequestsPerMinute_ThenQuality()
    {
        var mesh = Mesh(Node('a', "Small-A"), Node('b', "Small-B"));

        Assert.Equal("Small-A", Choose(mesh, Rates(("Small-A", 5), ("Small-B", 1))));
        Assert.Equal("Small-B", Choose(mesh)); // no demand: the better model
    }

    [Fact]
    public void Hottest_OnlyWithoutModelsOfItsOwn()
    {
        var mesh = Mesh(Node('a', "Small-A"));

        Assert.Equal("Small-A", Choose(mesh, hasOwnModels: false));
        Assert.Null(Choose(mesh, hasOwnModels: true));
    }

    [Fact]
    public void NeverADraft_AnUnknownModel_OrOneThatDoesNotFit()
    {
        var mesh = Mesh(Node('a', "Draft"), Node('b', "Mystery"), Node('c', wanted: ["Big", "Draft", "Mystery-2"]));

        Assert.Null(Choose(mesh, usable: 8 * Gb));
        Assert.Equal("Big", Choose(mesh, usable: 22 * Gb)); // 20 GB × 1.1 = 22 GB: fits exactly
        Assert.Null(Choose(mesh, usable: 22 * Gb - 1));
    }
}
