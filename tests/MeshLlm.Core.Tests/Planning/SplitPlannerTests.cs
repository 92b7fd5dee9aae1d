using MeshLlm.Identity;

namespace MeshLlm.Planning;

public sealed class SplitPlannerTests
{
    private const long Gb = 1_000_000_000;

    private static NodeId Id(char c)
    {
        Assert.True(NodeId.TryParse(new string(c, 64), out var id));
        return id;
    }

    private static SplitCandidate Node(char id, long gb, double? rtt = null, bool rpc = true, bool busy = false, bool hosting = false) =>
        new(Id(id), gb * Gb, rpc, rtt, busy, hosting);

    [Theory]
    [InlineData(11, SplitRole.Solo)]     // 11 GB ≥ 10 GB × 1.1
    [InlineData(10, SplitRole.Host)]     // just short: needs a partner
    public void FitRule_Boundary(long selfGb, SplitRole expected)
    {
        var plan = SplitPlanner.Plan(10 * Gb, Node('5', selfGb), [Node('1', 4, rtt: 1)], forceSplit: false);

        Assert.Equal(expected, plan.Role);
    }

    [Fact]
    public void Need_IsFloorOfSizeTimes1point1() => Assert.Equal(1_100_000_001, SplitPlanner.Need(1_000_000_001));

    [Fact]
    public void HostElection_MostMemory_TiesByLargerId()
    {
        var atB = SplitPlanner.Plan(16 * Gb, Node('b', 8), [Node('a', 8, 1), Node('3', 4, 1)], false);
        var atA = SplitPlanner.Plan(16 * Gb, Node('a', 8), [Node('b', 8, 1), Node('3', 4, 1)], false);

        Assert.Equal(SplitRole.Host, atB.Role);
        Assert.Equal(SplitRole.Partner, atA.Role);
        Assert.Equal(Id('b'), atA.Host);
    }

    [Fact]
    public void Partners_NearestFirst_UnknownLast_OverCapExcludedAndNotCounted()
    {
        var plan = SplitPlanner.Plan(20 * Gb, Node('f', 8), [
            Node('1', 6, rtt: null),
            Node('2', 6, rtt: 200),   // over the 80 ms cap: never used, never counted
            Node('3', 6, rtt: 30),
            Node('4', 6, rtt: 5),
        ], forceSplit: false);

        Assert.Equal(SplitRole.Host, plan.Role);
        Assert.Equal([Id('4'), Id('3'), Id('1')], plan.PartnerIds);
    }

    [Fact]
    public void RttCapBoundary_80IsIn_80point1IsOut()
    {
        Assert.Equal(SplitRole.Host, SplitPlanner.Plan(15 * Gb, Node('f', 10), [Node('1', 8, rtt: 80)], false).Role);
        var plan = SplitPlanner.Plan(15 * Gb, Node('f', 10), [Node('1', 8, rtt: 80.1)], false);
        Assert.Equal(SplitRole.Waiting, plan.Role);
        Assert.Equal(SplitPlanner.Need(15 * Gb) - 10 * Gb, plan.ShortfallBytes);
    }

    [Fact]
    public void Greedy_StopsAsSoonAsTheNeedIsCovered()
    {
        var plan = SplitPlanner.Plan(20 * Gb, Node('f', 10), [Node('1', 8, 1), Node('2', 8, 2), Node('3', 8, 3)], false);

        Assert.Equal([Id('1'), Id('2')], plan.PartnerIds); // 10 + 8 + 8 = 26 ≥ 22
    }

    [Fact]
    public void ForcedSplit_TakesOnePartnerEvenWhenTheModelFits()
    {
        var plan = SplitPlanner.Plan(5 * Gb, Node('f', 24), [Node('1', 8, 2), Node('2', 8, 1)], forceSplit: true);

        Assert.Equal(SplitRole.Host, plan.Role);
        Assert.Equal([Id('2')], plan.PartnerIds);
    }

    [Fact]
    public void PartnerHostingAnotherModel_OrEmbedded_IsExcluded()
    {
        var plan = SplitPlanner.Plan(20 * Gb, Node('f', 20), [Node('1', 16, 1, busy: true), Node('2', 16, 1, rpc: false), Node('3', 16, 5)], false);

        Assert.Equal([Id('3')], plan.PartnerIds);
    }

    [Fact]
    public void BusyOrEmbeddedNodeCannotHost_AndIsNotElected()
    {
        Assert.Equal(SplitRole.Unable, SplitPlanner.Plan(20 * Gb, Node('f', 10, rpc: false), [Node('1', 16, 1)], false).Role);
        var plan = SplitPlanner.Plan(20 * Gb, Node('1', 10), [Node('f', 30, 1, busy: true), Node('2', 16, 1)], false);
        Assert.Equal(SplitRole.Partner, plan.Role);
        Assert.Equal(Id('2'), plan.Host);
    }

    [Fact]
    public void TensorSplit_MatchesTheRpcList_PartnersInOrder_HostLast()
    {
        var plan = SplitPlanner.Plan(20 * Gb, Node('f', 12), [Node('1', 6, 1), Node('2', 6, 2)], false);

        Assert.Equal(2, plan.Partners.Length);
        Assert.Equal("0.25,0.25,0.50", plan.TensorSplit);
        Assert.Equal(plan.Partners.Length + 1, plan.TensorSplit.Split(',').Length);
    }

    [Fact]
    public void PartnerSet_ChangesOnlyWhenTheChosenPartnersChange()
    {
        var before = SplitPlanner.Plan(20 * Gb, Node('f', 12), [Node('1', 12, 1)], false);
        // A fourth node that is not needed (farther away) joins: same partners, no restart.
        var after = SplitPlanner.Plan(20 * Gb, Node('f', 12), [Node('1', 12, 1), Node('2', 12, 9)], false);
        // The partner dies: a different set, restart over the survivors.
        var survivors = SplitPlanner.Plan(20 * Gb, Node('f', 12), [Node('2', 12, 9)], false);

        Assert.Equal(before.PartnerIds, after.PartnerIds);
        Assert.NotEqual(before.PartnerIds, survivors.PartnerIds);
    }

    [Fact]
    public void NotEnoughCapacity_WaitsAndSaysHowMuchIsMissing()
    {
        var plan = SplitPlanner.Plan(30 * Gb, Node('f', 10), [Node('1', 5, 1)], false);

        Assert.Equal(SplitRole.Waiting, plan.Role);
        Assert.Equal(SplitPlanner.Need(30 * Gb) - 15 * Gb, plan.ShortfallBytes);
        Assert.Contains("waiting for 18.0 GB more", plan.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void RunningSplit_KeepsItsPartners_WhenANearerNodeArrives()
    {
        var running = SplitPlanner.Plan(20 * Gb, Node('f', 12), [Node('1', 12, 5)], false);
        // A nearer node joins: a fresh plan would pick it, but the running split keeps its partner (no restart).
        var fresh = SplitPlanner.Plan(20 * Gb, Node('f', 12), [Node('1', 12, 5), Node('2', 12, 1)], false);
        var kept = SplitPlanner.Plan(20 * Gb, Node('f', 12, hosting: true), [Node('1', 12, 5), Node('2', 12, 1)], false, running.PartnerIds);

        Assert.Equal([Id('2')], fresh.PartnerIds);
        Assert.Equal(running.PartnerIds, kept.PartnerIds);
    }

    [Fact]
    public void RunningSplit_ReplansOverTheRest_WhenAPartnerGoesOrIsOverTheCap()
    {
        var gone = SplitPlanner.Plan(20 * Gb, Node('f', 12, hosting: true), [Node('2', 12, 9)], false, [Id('1')]);
        // Hysteresis: a running partner stays up to 1.5 × the cap (one slow ping must not restart llama-server).
        var slowish = SplitPlanner.Plan(20 * Gb, Node('f', 12, hosting: true), [Node('1', 12, 120), Node('2', 12, 9)], false, [Id('1')]);
        var slow = SplitPlanner.Plan(20 * Gb, Node('f', 12, hosting: true), [Node('1', 12, 120.1), Node('2', 12, 9)], false, [Id('1')]);
        var newAt100 = SplitPlanner.Plan(20 * Gb, Node('f', 12), [Node('1', 12, 100)], false);

        Assert.Equal([Id('2')], gone.PartnerIds);
        Assert.Equal([Id('1')], slowish.PartnerIds);
        Assert.Equal([Id('2')], slow.PartnerIds);
        Assert.Equal(SplitRole.Waiting, newAt100.Role);
    }

    [Fact]
    public void HostOfARunningSplit_KeepsTheJob_AgainstABiggerNewcomer()
    {
        var atNewcomer = SplitPlanner.Plan(20 * Gb, Node('f', 16), [Node('1', 12, 1, hosting: true), Node('2', 12, 1)], false);
        var withoutRunningSplit = SplitPlanner.Plan(20 * Gb, Node('f', 16), [Node('1', 12, 1), Node('2', 12, 1)], false);

        Assert.Equal(SplitRole.Partner, atNewcomer.Role);
        Assert.Equal(Id('1'), atNewcomer.Host);
        Assert.Equal(SplitRole.Host, withoutRunningSplit.Role);
    }

    [Fact]
    public void TwoRunningHosts_TheElectionRulePicksOne()
    {
        var atSmaller = SplitPlanner.Plan(20 * Gb, Node('1', 12, hosting: true), [Node('2', 12, 1, hosting: true), Node('3', 12, 1)], false);

        Assert.Equal(SplitRole.Partner, atSmaller.Role);
        Assert.Equal(Id('2'), atSmaller.Host);
    }
}
