using MeshLlm.Models;
using static MeshLlm.Models.TestCatalogEntries;

namespace MeshLlm.Discovery;

public sealed class MeshScorerTests
{
    private static readonly DateTimeOffset s_now = new(2026, 11, 28, 12, 0, 0, TimeSpan.Zero);

    // Strong-small is better and smaller than Weak-big: quality, not size, must decide.
    private static readonly ModelCatalog s_catalog = new(
    [
        Entry("Strong-Small", 5_000_000_000, quality: 40),
        Entry("Weak-Big", 40_000_000_000, quality: 20),
    ], "test");

    private static DiscoveredMesh Mesh(
        string? name = null, string? meshId = null, TimeSpan? uptime = null, string[]? serving = null, string? region = null,
        int nodes = 2, int clients = 0, int maxClients = 0, string[]? wanted = null) =>
        new(new MeshListing
        {
            InviteToken = "token",
            Serving = serving ?? ["Strong-Small"],
            Wanted = wanted ?? [],
            Name = name,
            MeshId = meshId,
            Region = region,
            NodeCount = nodes,
            ClientCount = clients,
            MaxClients = maxClients,
            StartedAt = (s_now - (uptime ?? TimeSpan.FromHours(1))).ToUnixTimeSeconds(),
        }, "publisher", s_now.AddSeconds(-10), s_now.AddSeconds(110));

    private static ScoringContext Context(string? lastMesh = null, string? meshName = null, string? region = null) =>
        new(s_now, lastMesh, meshName, region, s_catalog);

    private static double Score(DiscoveredMesh mesh, ScoringContext? context = null)
    {
        var score = MeshScorer.Score(mesh, context ?? Context());
        Assert.True(score.IsEligible, score.Ineligible);
        return score.Total;
    }

    [Fact]
    public void LongerUptime_Wins_WithDiminishingReturns()
    {
        var tenMinutes = Score(Mesh(uptime: TimeSpan.FromMinutes(10)));
        var day = Score(Mesh(uptime: TimeSpan.FromHours(24)));
        var twoDays = Score(Mesh(uptime: TimeSpan.FromHours(48)));

        Assert.True(day > tenMinutes);
        Assert.True(twoDays > day);
        Assert.True(twoDays - day < day - tenMinutes); // the second day adds less than the first
        Assert.Equal(Score(Mesh(uptime: TimeSpan.FromDays(30))), Score(Mesh(uptime: TimeSpan.FromDays(7)))); // capped
    }

    [Fact]
    public void BetterServedModel_Wins_NotTheBiggerOne()
    {
        Assert.True(Score(Mesh(serving: ["Strong-Small"])) > Score(Mesh(serving: ["Weak-Big"])));
    }

    [Fact]
    public void ModelUnknownToTheCatalog_EarnsNoQuality_WhateverTheListingClaims()
    {
        var unknown = Mesh(serving: ["Mystery-1T"]);
        unknown = unknown with { Listing = unknown.Listing with { Models = [new ListedModel("Mystery-1T", 2, 99, 0)] } };

        Assert.True(Score(Mesh(serving: ["Weak-Big"])) > Score(unknown));
    }

    [Fact]
    public void LastMesh_Sticky500_BeatsABiggerOlderMesh()
    {
        var previous = Mesh(meshId: "aaaaaaaaaaaaaaaa", nodes: 1, uptime: TimeSpan.FromMinutes(5));
        var bigger = Mesh(meshId: "bbbbbbbbbbbbbbbb", nodes: 10, uptime: TimeSpan.FromHours(24), wanted: ["Weak-Big"]);
        var context = Context(lastMesh: "aaaaaaaaaaaaaaaa");

        Assert.Equal(MeshScorer.Sticky, Score(previous, context) - Score(previous), 6);
        Assert.Same(previous, MeshScorer.Rank([bigger, previous], context)[0].Mesh);
    }

    [Fact]
    public void MatchingRegion_Wins()
    {
        Assert.True(Score(Mesh(region: "EU"), Context(region: "eu")) > Score(Mesh(region: "US"), Context(region: "eu")));
        Assert.Equal(Score(Mesh(region: "EU")), Score(Mesh(region: "US"))); // no --region: no preference
    }

    [Fact]
    public void FreeClientCapacity_Wins_AndAFullMeshIsNeverChosen()
    {
        Assert.True(Score(Mesh(maxClients: 10, clients: 2)) > Score(Mesh(maxClients: 10, clients: 9)));
        Assert.True(Score(Mesh(maxClients: 0, clients: 50)) >= Score(Mesh(maxClients: 100, clients: 80)));

        var full = Mesh(nodes: 10, maxClients: 5, clients: 5, uptime: TimeSpan.FromDays(7));
        var score = MeshScorer.Score(full, Context(lastMesh: full.Listing.MeshId));
        Assert.False(score.IsEligible);
        Assert.Contains("full", score.Ineligible);
        Assert.Empty(MeshScorer.Rank([full], Context()));
    }

    [Fact]
    public void MoreNodesAndWantedModels_Win_UpToTheirCaps()
    {
        Assert.True(Score(Mesh(nodes: 5)) > Score(Mesh(nodes: 2)));
        Assert.Equal(Score(Mesh(nodes: 10)), Score(Mesh(nodes: 500)));
        Assert.True(Score(Mesh(wanted: ["a"])) > Score(Mesh()));
        Assert.Equal(Score(Mesh(wanted: ["a", "b", "c"])), Score(Mesh(wanted: ["a", "b", "c", "d", "e"])));
    }

    [Fact]
    public void PlainAuto_PrefersCommunityMeshes_AndSkipsPrivatelyNamedOnes()
    {
        Assert.Equal(Score(Mesh(name: null)), Score(Mesh(name: "mesh-llm")));
        var named = MeshScorer.Score(Mesh(name: "team-x"), Context());
        Assert.False(named.IsEligible);
        Assert.Contains("--mesh-name team-x", named.Ineligible);
    }

    [Fact]
    public void MeshName_OnlyThatNameIsEligible()
    {
        var context = Context(meshName: "team-x");
        var ranked = MeshScorer.Rank([Mesh(name: null, nodes: 9), Mesh(name: "team-y"), Mesh(name: "team-x", nodes: 1)], context);

        Assert.Equal("team-x", Assert.Single(ranked).Mesh.Listing.Name);
    }

    [Fact]
    public void Score_IsTheSumOfItsTerms()
    {
        var score = MeshScorer.Score(Mesh(region: "EU", wanted: ["x"]), Context(region: "EU"));

        Assert.Equal(score.Total, score.Terms.Sum(t => t.Points), 6);
        Assert.Contains(score.Terms, t => t.Name == "region");
        Assert.DoesNotContain(score.Terms, t => t.Name == "last mesh");
    }
}
