namespace MeshLlm.Planning;

/// <summary>Planning timers (configuration section <c>Planning</c>).</summary>
public sealed class PlanningOptions
{
    public const string Section = "Planning";

    /// <summary>How long a joiner without <c>--model</c> lets gossip fill its view before choosing a model.</summary>
    public TimeSpan SettleDelay { get; set; } = TimeSpan.FromSeconds(3);

    /// <summary>How often a standby node re-checks demand (it also re-checks on every membership change).</summary>
    public TimeSpan StandbyCheckInterval { get; set; } = TimeSpan.FromSeconds(10);
}
