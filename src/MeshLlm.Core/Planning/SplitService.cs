using System.Collections.Concurrent;
using MeshLlm.Identity;
using MeshLlm.Inference;
using MeshLlm.Membership;
using MeshLlm.Membership.Messages;
using MeshLlm.Tunnels;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace MeshLlm.Planning;

/// <summary>
/// Plans this node's model in the mesh (<see cref="SplitPlanner"/>) every time membership changes: serve alone,
/// host a split (with one <see cref="RpcTunnelListener"/> per partner as its <c>--rpc</c> endpoints), lend the
/// rpc-server to the host, or wait for memory. Announces its part in the split, logs every change of plan with
/// its reason, and keeps the plan for status.
/// </summary>
public sealed partial class SplitService : ILaunchPlanner, IAsyncDisposable
{
    private readonly MeshNode _node;
    private readonly NodeCapacity _capacity;
    private readonly IOptions<PlanningOptions> _options;
    private readonly ILogger<SplitService> _logger;
    private readonly ConcurrentDictionary<NodeId, RpcTunnelListener> _tunnels = new();
    private readonly Lock _lock = new();
    private TaskCompletionSource _next = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private SplitPlan? _current;

    public SplitService(MeshNode node, NodeCapacity capacity, IOptions<PlanningOptions> options, ILogger<SplitService> logger)
    {
        _node = node;
        _capacity = capacity;
        _options = options;
        _logger = logger;
        node.Changed += OnChanged;
    }

    /// <summary>The latest plan (null before the first), for status.</summary>
    public SplitPlan? Current => _current;

    public Task NextChange => Volatile.Read(ref _next).Task;

    public LaunchPlan Plan(ModelFile model, bool canSplit)
    {
        lock (_lock)
        {
            if (!canSplit)
            {
                Announce(null, rpcCapable: false);
                return LaunchPlan.Solo("this backend cannot split (the embedded engine, or llama.cpp without rpc-server): serving alone");
            }

            var snapshot = _node.Snapshot;
            var self = new SplitCandidate(_node.Id, _capacity.UsableBytes, RpcCapable: true, HostingSplit: _current?.Role == SplitRole.Host);
            var group = snapshot.Peers
                .Where(p => p.Health == PeerHealth.Alive && p.Announcement.Serving == model.Name && p.Announcement.Role != PeerRoles.Client)
                .Select(Candidate)
                .ToList();
            var previous = _current;
            var plan = SplitPlanner.Plan(model.SizeBytes, self, group, _options.Value.ForceSplit, previous?.Role == SplitRole.Host ? previous.PartnerIds : null);
            if (plan is { Role: SplitRole.Partner, Host: { } host } && snapshot.Find(host)?.Announcement.Split is { Role: SplitRoles.Host } running)
            {
                plan = plan with
                {
                    Reason = running.Partners.Any(p => p.Id == _node.Id.Hex)
                        ? $"{host.ToShortString()} hosts the split and uses this node's rpc-server"
                        : $"{host.ToShortString()} hosts the split and does not need this node now (spare)",
                };
            }

            _current = plan;
            if (previous is null || previous.Role != plan.Role || previous.Host != plan.Host || !previous.PartnerIds.SequenceEqual(plan.PartnerIds))
            {
                LogPlan(model.Name, Describe(plan.Role), plan.Reason);
            }

            Announce(plan, rpcCapable: true);
            return plan.Role switch
            {
                SplitRole.Host => new LaunchPlan(LaunchMode.Serve, [.. plan.Partners.Select(p => $"127.0.0.1:{Tunnel(p.Id).Port}")], plan.TensorSplit, plan.Reason),
                SplitRole.Partner => new LaunchPlan(LaunchMode.Lend, [], "", plan.Reason),
                SplitRole.Waiting => new LaunchPlan(LaunchMode.Wait, [], "", plan.Reason, plan.ShortfallBytes),
                _ => LaunchPlan.Solo(plan.Reason),
            };
        }
    }

    /// <summary>A peer of the model's group as the planner sees it.</summary>
    private static SplitCandidate Candidate(PeerSnapshot peer)
    {
        var a = peer.Announcement;
        // Serving the model without a part in a split means a model server of its own: its memory is taken.
        var busy = a.Split is null && a.ModelState is not null;
        return new SplitCandidate(peer.Id, a.VramBytes, a.RpcCapable, peer.RttMs, busy, a.Split?.Role == SplitRoles.Host);
    }

    /// <summary>The loopback listener whose connections become RPC tunnels to <paramref name="partner"/>; kept for the node's life, so its port (and llama-server's --rpc) stays the same.</summary>
    private RpcTunnelListener Tunnel(NodeId partner) =>
        _tunnels.GetOrAdd(partner, id => RpcTunnelListener.Start(_node, id, _logger));

    private void Announce(SplitPlan? plan, bool rpcCapable)
    {
        var split = plan?.Role switch
        {
            SplitRole.Host => new SplitAnnouncement
            {
                Role = SplitRoles.Host,
                Host = _node.Id.Hex,
                Partners = [.. plan.Partners.Select(p => new SplitPartnerAnnouncement(p.Id.Hex, Math.Round(p.Share, 4), null))],
                HostShare = Math.Round(plan.HostShare, 4),
            },
            SplitRole.Partner => new SplitAnnouncement { Role = SplitRoles.Partner, Host = plan.Host?.Hex },
            SplitRole.Waiting => new SplitAnnouncement { Role = SplitRoles.Waiting, Host = _node.Id.Hex, ShortfallBytes = plan.ShortfallBytes },
            _ => null,
        };
        _node.UpdateSelf(self => self.RpcCapable == rpcCapable && Equals(self.Split, split) ? self : self with { RpcCapable = rpcCapable, Split = split });
    }

    private void OnChanged(MembershipSnapshot snapshot) =>
        Interlocked.Exchange(ref _next, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();

    private static string Describe(SplitRole role) => role switch
    {
        SplitRole.Solo => "serving alone",
        SplitRole.Host => "hosting a split",
        SplitRole.Partner => "lending the rpc-server to the split's host",
        SplitRole.Waiting => "waiting for more memory",
        _ => "serving alone (cannot split)",
    };

    public async ValueTask DisposeAsync()
    {
        _node.Changed -= OnChanged;
        foreach (var tunnel in _tunnels.Values)
        {
            await tunnel.DisposeAsync();
        }
    }

    [LoggerMessage(EventId = 4010, Level = LogLevel.Information, Message = "Model {Model}: {Role}; {Reason}")]
    private partial void LogPlan(string model, string role, string reason);
}
