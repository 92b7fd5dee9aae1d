using System.Collections.Immutable;
using MeshLlm.Identity;
using MeshLlm.Inference;
using MeshLlm.Inference.OpenAi;

namespace MeshLlm.Routing;

/// <summary>
/// One server of a model somewhere in the mesh, as routing sees it: <c>Node</c> is null for this node's own
/// server; <c>InFlight</c> counts the requests this node has in flight to it; <c>RttMs</c> is the ping round trip.
/// </summary>
public sealed record ModelHost(string Model, ServingStatus Status, Uri? Address, NodeId? Node, int InFlight = 0, double? RttMs = null);

/// <summary>A ready server to try, in order.</summary>
public sealed record RouteTarget(string Model, Uri Address, NodeId? Node)
{
    public bool IsLocal => Node is null;
}

/// <summary>Where a request goes: its model's ready servers in the order to try them, or the error to answer with.</summary>
public sealed record RouteDecision(string? Model, ImmutableArray<RouteTarget> Targets, OpenAiError? Error)
{
    /// <summary>The first server to try.</summary>
    public Uri? Target => Targets.IsDefaultOrEmpty ? null : Targets[0].Address;

    public static RouteDecision To(string model, ImmutableArray<RouteTarget> targets) => new(model, targets, null);

    public static RouteDecision Fail(OpenAiError error) => new(null, [], error);
}
