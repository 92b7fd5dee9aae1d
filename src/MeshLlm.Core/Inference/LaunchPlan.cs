namespace MeshLlm.Inference;

/// <summary>What this node does with its model right now (DESIGN.md §9).</summary>
public enum LaunchMode
{
    /// <summary>Run the model server: alone, or as the host of a split over <see cref="LaunchPlan.RpcServers"/>.</summary>
    Serve,

    /// <summary>Run no model server; lend this node's rpc-server to the split's host.</summary>
    Lend,

    /// <summary>Run no model server: the nodes of the model's group lack memory (<see cref="LaunchPlan.ShortfallBytes"/>).</summary>
    Wait,
}

/// <summary>
/// How to launch the model server. <see cref="RpcServers"/> are loopback <c>host:port</c> endpoints (one RPC tunnel
/// per partner) in <c>--rpc</c> order; <see cref="TensorSplit"/> has one share per partner and the host's share
/// last. A node restarts its model server only when <see cref="SameLaunch"/> says the launch changed.
/// </summary>
public sealed record LaunchPlan(LaunchMode Mode, IReadOnlyList<string> RpcServers, string TensorSplit, string Reason, long ShortfallBytes = 0)
{
    /// <summary>Serve alone.</summary>
    public static LaunchPlan Solo(string reason) => new(LaunchMode.Serve, [], "", reason);

    public bool IsSplit => RpcServers.Count > 0;

    /// <summary>True when both plans run the same thing (mode and partners); shares and reasons may differ.</summary>
    public bool SameLaunch(LaunchPlan other) => Mode == other.Mode && RpcServers.SequenceEqual(other.RpcServers, StringComparer.Ordinal);
}

/// <summary>Decides, for the model this node serves, whether it serves alone, hosts a split, lends or waits.</summary>
public interface ILaunchPlanner
{
    /// <summary>Completes at the next event that may change the plan; read it before <see cref="Plan"/> so no change is missed.</summary>
    Task NextChange { get; }

    /// <summary>The plan for <paramref name="model"/> now; <paramref name="canSplit"/> is false for backends that cannot split.</summary>
    LaunchPlan Plan(ModelFile model, bool canSplit);
}

/// <summary>The planner of a node outside any mesh decision: always serve alone.</summary>
public sealed class SoloLaunchPlanner : ILaunchPlanner
{
    private static readonly Task s_never = new TaskCompletionSource().Task;

    public Task NextChange => s_never;

    public LaunchPlan Plan(ModelFile model, bool canSplit) => LaunchPlan.Solo("serving alone");
}
