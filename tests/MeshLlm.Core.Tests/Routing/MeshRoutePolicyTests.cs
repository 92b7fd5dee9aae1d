using MeshLlm.Identity;
using MeshLlm.Inference;

namespace MeshLlm.Routing;

public sealed class MeshRoutePolicyTests
{
    private static NodeId Id(char c)
    {
        Assert.True(NodeId.TryParse(new string(c, 64), out var id));
        return id;
    }

    private static ModelHost Remote(string model, char node, ServingStatus status = ServingStatus.Ready, int inFlight = 0, double? rtt = null) =>
        new(model, status, new Uri($"http://{node}.mesh/"), Id(node), inFlight, rtt);

    private static ModelHost Local(string model, ServingStatus status = ServingStatus.Ready) =>
        new(model, status, status == ServingStatus.Ready ? new Uri("http://127.0.0.1:9000/") : null, null);

    private static IReadOnlyList<NodeId?> Order(RouteDecision decision)
    {
        Assert.Null(decision.Error);
        return [.. decision.Targets.Select(t => t.Node)];
    }

    [Fact]
    public void Choose_LocalServerFirst_ThenLeastLoaded_ThenNearest_UnknownRttLast()
    {
        var decision = RoutePolicy.Choose("m1", [
            Remote("m1", 'a', inFlight: 2, rtt: 1),
            Remote("m1", 'b', inFlight: 0, rtt: null),
            Remote("m1", 'c', inFlight: 0, rtt: 30),
            Remote("m1", 'd', inFlight: 0, rtt: 5),
            Local("m1"),
            Remote("m2", 'e'),
        ], 5);

        Assert.Equal([null, Id('d'), Id('c'), Id('b'), Id('a')], Order(decision));
        Assert.Equal("m1", decision.Model);
        Assert.True(decision.Targets[0].IsLocal);
    }

    [Fact]
    public void Choose_OnlyRemoteServers_RoutesThere_SkippingLoadingAndFailedOnes()
    {
        var decision = RoutePolicy.Choose("m2", [
            Local("m1"),
            Remote("m2", 'a', ServingStatus.Loading),
            Remote("m2", 'b', ServingStatus.Failed),
            Remote("m2", 'c'),
        ], 5);

        Assert.Equal([Id('c')], Order(decision));
    }

    [Fact]
    public void Choose_RemoteOnlyLoading_Returns503WithRetryAfter()
    {
        var decision = RoutePolicy.Choose("m2", [Local("m1"), Remote("m2", 'a', ServingStatus.Loading)], 5);

        Assert.Equal(503, decision.Error!.StatusCode);
        Assert.Equal(5, decision.Error.RetryAfterSeconds);
    }

    [Fact]
    public void Choose_Unknown_Returns404ListingEveryModelInTheMeshOnce()
    {
        var decision = RoutePolicy.Choose("nope", [Local("m1"), Remote("m2", 'a'), Remote("m2", 'b'), Remote("m3", 'c', ServingStatus.Loading)], 5);

        Assert.Equal(404, decision.Error!.StatusCode);
        Assert.Equal("The model 'nope' does not exist. Available models: m1, m2, m3.", decision.Error.Message);
    }

    [Fact]
    public void Choose_AutoWithoutLocalModel_PicksTheModelWithMostReadyServers()
    {
        var decision = RoutePolicy.Choose("auto", [
            Remote("m1", 'a'),
            Remote("m2", 'b'),
            Remote("m2", 'c'),
            Remote("m3", 'd', ServingStatus.Loading),
            Remote("m3", 'e', ServingStatus.Loading),
            Remote("m3", 'f', ServingStatus.Loading),
        ], 5);

        Assert.Equal("m2", decision.Model);
        Assert.Equal(2, decision.Targets.Length);
    }

    [Fact]
    public void Choose_AutoWithLocalReadyModel_PrefersIt_AndListsItsRemoteReplicasAfter()
    {
        var decision = RoutePolicy.Choose(null, [Remote("m2", 'a'), Remote("m2", 'b'), Remote("m1", 'c'), Local("m1")], 5);

        Assert.Equal("m1", decision.Model);
        Assert.Equal([null, Id('c')], Order(decision));
    }
}
