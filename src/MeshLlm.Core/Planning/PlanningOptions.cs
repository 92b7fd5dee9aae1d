namespace MeshLlm.Planning;

/// <summary>Planning timers (configuration section <c>Planning</c>).</summary>
public sealed class PlanningOptions
{
    public const string Section = "Planning";

    /// <summary>How long a joiner without <c>--model</c> lets gossip fill its view before choosing a model.</summary>
    public TimeSpan SettleDelay { get; set; } = TimeSpan.FromSeconds(3);

    /// <summary>How often a standby node re-checks demand (it also re-checks on every membership change).</summary>
    public TimeSpan StandbyCheckInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Most memory this node offers models, in GB (10⁹ bytes); null: all it has. Set by <c>--max-vram</c>.</summary>
    public double? MaxVramGb { get; set; }

    /// <summary>Split this node's model over at least one partner even when it fits here. Set by <c>--split</c>.</summary>
    public bool ForceSplit { get; set; }
}
