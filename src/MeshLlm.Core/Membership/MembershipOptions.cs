namespace MeshLlm.Membership;

/// <summary>Membership timers and joining (configuration section <c>Mesh</c>; every interval can be shortened for tests).</summary>
public sealed class MembershipOptions
{
    public const string Section = "Mesh";

    /// <summary>Invite tokens to join (<c>--join</c>, repeatable; tried in order). None: this node starts a mesh.</summary>
    public IList<string> Join { get; } = [];

    /// <summary>Name of the mesh this node starts (<c>--mesh-name</c>); empty: an unnamed private mesh.</summary>
    public string? MeshName { get; set; }

    /// <summary>Models this node asks the mesh to serve (every <c>--model</c>; the first is served here).</summary>
    public IList<string> Wanted { get; } = [];

    /// <summary>Passive client: no engine, not a peer; fetches routing tables (<c>--client</c>).</summary>
    public bool Client { get; set; }

    /// <summary>How often each peer is pinged (RTT comes from here).</summary>
    public TimeSpan PingInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How long a ping may take before it counts as missed.</summary>
    public TimeSpan PingTimeout { get; set; } = TimeSpan.FromSeconds(3);

    /// <summary>Missed pings in a row before a peer is suspected.</summary>
    public int MissedPings { get; set; } = 3;

    /// <summary>How long the confirming fresh dial of a suspected peer may take before it is declared dead.</summary>
    public TimeSpan ConfirmTimeout { get; set; } = TimeSpan.FromSeconds(3);

    /// <summary>How long a dead peer stays in the dead set (stale gossip about it is ignored meanwhile).</summary>
    public TimeSpan DeadTtl { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>How often <c>--join</c> tokens and dead peers are redialed.</summary>
    public TimeSpan RejoinInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How often a full table exchange runs with one random peer (anti-entropy).</summary>
    public TimeSpan GossipInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How many random peers a node passes news on to (besides the full exchange on connect and anti-entropy).</summary>
    public int GossipFanout { get; set; } = 3;

    /// <summary>How often a passive client refreshes its routing table.</summary>
    public TimeSpan ClientRefreshInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How long leave messages get to go out on shutdown.</summary>
    public TimeSpan LeaveTimeout { get; set; } = TimeSpan.FromSeconds(1);
}
