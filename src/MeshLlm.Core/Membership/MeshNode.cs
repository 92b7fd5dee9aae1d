using System.Collections.Immutable;
using MeshLlm.Identity;
using MeshLlm.Membership.Messages;
using MeshLlm.Transport;
using Microsoft.Extensions.Logging;

namespace MeshLlm.Membership;

/// <summary>
/// This node's membership in a mesh (DESIGN.md §7): owns the transport, the versioned peer table and the
/// loops that keep it true (gossip, pings, suspicion and death, rejoin), and publishes
/// <see cref="MembershipSnapshot"/>s. Nothing else in the program mutates membership state.
/// </summary>
public sealed partial class MeshNode : IAsyncDisposable
{
    public const int FrameVersion = 1;

    private readonly MembershipOptions _options;
    private readonly TransportOptions _transportOptions;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Lock _lock = new();
    private readonly PeerTable _table;
    private readonly HashSet<NodeId> _busy = [];
    private IReadOnlyList<InviteToken> _joins;
    private readonly CancellationTokenSource _stopping = new();
    private readonly List<Task> _loops = [];
    private PeerAnnouncement _self;
    private MembershipSnapshot _snapshot;
    private ImmutableArray<PeerAnnouncement> _routingTable = [];
    private long _version;
    private bool _disposed;

    public MeshNode(NodeKey key, MeshCredentials credentials, IReadOnlyList<InviteToken> joins, MembershipOptions options, TransportOptions transportOptions, TimeProvider time, ILoggerFactory loggers)
    {
        _options = options;
        _transportOptions = transportOptions;
        _time = time;
        _joins = joins;
        _logger = loggers.CreateLogger("MeshLlm.Membership");
        Id = key.Id;
        Mesh = credentials.Mesh;
        _table = new PeerTable(Id, time, options.DeadTtl);
        Transport = new MeshTransport(key, credentials.Secret, options.Client, transportOptions, time, loggers.CreateLogger("MeshLlm.Transport"))
        {
            MeshName = credentials.Mesh.Value,
        };
        Transport.ChannelHandler = HandleChannelAsync;
        Transport.ConnectionAdded += OnConnectionAdded;
        Transport.ConnectionRemoved += OnConnectionRemoved;
        var startedMs = time.GetUtcNow().ToUnixTimeMilliseconds();
        _self = new PeerAnnouncement
        {
            Id = Id.Hex,
            Seq = startedMs * 1000,
            Role = options.Client ? PeerRoles.Client : PeerRoles.Standby,
            Mesh = credentials.Mesh.Value,
            Wanted = [.. options.Wanted.Distinct(StringComparer.Ordinal)],
            Version = typeof(MeshNode).Assembly.GetName().Version?.ToString(3),
            StartedMs = startedMs,
        };
        _snapshot = new MembershipSnapshot(0, _self, Mesh.Value, [], 0);
    }

    public NodeId Id { get; }

    /// <summary>The mesh this node belongs to (adopted from the token that worked, for joiners).</summary>
    public MeshId Mesh { get; private set; }

    public bool IsClient => _options.Client;

    public MeshTransport Transport { get; }

    /// <summary>The latest published view of the mesh.</summary>
    public MembershipSnapshot Snapshot => Volatile.Read(ref _snapshot);

    /// <summary>Raised after every published change (peer added, removed, suspected, updated; own state).</summary>
    public event Action<MembershipSnapshot>? Changed;

    /// <summary>The invite token others can use to join through this node (clients cannot be joined through).</summary>
    public InviteToken Token => new(Id, Transport.Addresses, Mesh, Transport.JoinSecret);

    /// <summary>
    /// Starts listening and the background loops, then joins through the <c>--join</c> tokens (if any).
    /// Returns what joining did; a node with no tokens has started its own mesh.
    /// </summary>
    public async Task<JoinResult> StartAsync(CancellationToken cancellationToken)
    {
        Transport.Start();
        lock (_lock)
        {
            _self = _self with { Addresses = Transport.Addresses };
        }

        Publish();
        var result = _joins.Count == 0 ? JoinResult.Started : await JoinAsync(cancellationToken);
        _loops.Add(RunLoopAsync(_options.PingInterval, OnPingTick));
        _loops.Add(RunLoopAsync(_options.RejoinInterval, OnRejoinTick));
        _loops.Add(RunLoopAsync(IsClient ? _options.ClientRefreshInterval : _options.GossipInterval, OnGossipTick));
        return result;
    }

    /// <summary>
    /// Gives up on the <c>--join</c> tokens and makes this node the first of its own mesh (<c>--auto</c> when no
    /// discovered mesh could be joined). False when it already joined one.
    /// </summary>
    public bool StartOwnMesh(MeshCredentials credentials)
    {
        ArgumentNullException.ThrowIfNull(credentials);
        if (Interlocked.CompareExchange(ref _joined, 1, 0) != 0)
        {
            return false;
        }

        Transport.JoinSecret = credentials.Secret;
        Transport.MeshName = credentials.Mesh.Value;
        Mesh = credentials.Mesh;
        lock (_lock)
        {
            _joins = [];
            _self = _self with { Mesh = credentials.Mesh.Value };
        }

        BumpSelf();
        return true;
    }

    /// <summary>Changes this node's announcement; if anything changed, bumps its sequence number and gossips it.</summary>
    public void UpdateSelf(Func<PeerAnnouncement, PeerAnnouncement> change)
    {
        PeerAnnouncement next;
        lock (_lock)
        {
            next = change(_self) with { Id = _self.Id, Seq = _self.Seq };
            if (next == _self)
            {
                return;
            }

            _self = next = next with { Seq = _self.Seq + 1 };
        }

        Publish();
        Push([next], except: null);
    }

    private void BumpSelf()
    {
        PeerAnnouncement next;
        lock (_lock)
        {
            _self = next = _self with { Seq = _self.Seq + 1 };
        }

        Publish();
        Push([next], except: null);
    }

    private void Publish()
    {
        MembershipSnapshot snapshot;
        lock (_lock)
        {
            var peers = IsClient
                ? _routingTable.Select(a => new PeerSnapshot(NodeIdOf(a), a, PeerHealth.Alive, null, Transport.TryGetConnection(NodeIdOf(a), out _)))
                : _table.Peers.Select(r => new PeerSnapshot(r.Id, r.Announcement, r.Health, r.RttMs, Transport.TryGetConnection(r.Id, out _)));
            snapshot = new MembershipSnapshot(++_version, _self, Mesh.Value, [.. peers.OrderBy(p => p.Id)], Transport.Connections.Count(c => c.RemoteIsClient));
            _snapshot = snapshot;
        }

        Changed?.Invoke(snapshot);
    }

    private static NodeId NodeIdOf(PeerAnnouncement a) => NodeId.TryParse(a.Id, out var id) ? id : default;

    private List<PeerAnnouncement> AllEntries()
    {
        lock (_lock)
        {
            return [_self, .. _table.Peers.Select(r => r.Announcement)];
        }
    }

    private bool TryBeginBusy(NodeId peer)
    {
        lock (_lock)
        {
            return _busy.Add(peer);
        }
    }

    private bool IsBusy(NodeId peer)
    {
        lock (_lock)
        {
            return _busy.Contains(peer);
        }
    }

    private void EndBusy(NodeId peer)
    {
        lock (_lock)
        {
            _busy.Remove(peer);
        }
    }

    /// <summary>Runs <paramref name="tick"/> every <paramref name="interval"/> (the first after a jittered delay) until disposal.</summary>
    private async Task RunLoopAsync(TimeSpan interval, Func<Task> tick)
    {
        var delay = interval * (0.5 + (Random.Shared.NextDouble() / 2));
        while (!_stopping.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(delay, _time, _stopping.Token);
                await tick();
            }
            catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                LogLoopFailed(_logger, e);
            }

            delay = interval;
        }
    }

    /// <summary>
    /// Stops taking part (no more pings, gossip or rejoins) and tells every peer this node is leaving, so they drop
    /// it at once instead of suspecting it. Dispose afterwards.
    /// </summary>
    public async Task LeaveAsync()
    {
        await _stopping.CancelAsync();
        await Task.WhenAll(_loops);
        var peers = Transport.Connections.Where(c => !c.RemoteIsClient).ToList();
        using var cts = new CancellationTokenSource(_options.LeaveTimeout, _time);
        await Task.WhenAll(peers.Select(async c =>
        {
            try
            {
                var channel = await c.OpenChannelAsync(ChannelType.PeerLeaving, _options.LeaveTimeout, cts.Token);
                await channel.WriteFrameAsync(new LeaveFrame(FrameVersion), MembershipJsonContext.Default.LeaveFrame, cts.Token);
                await channel.CloseAsync(_options.LeaveTimeout, _time);
            }
            catch (Exception e) when (e is IOException or TimeoutException or OperationCanceledException or ObjectDisposedException)
            {
            }
        }));
        LogLeft(_logger, peers.Count);
        await Transport.DisposeAsync();
    }

    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        await _stopping.CancelAsync();
        await Task.WhenAll(_loops);
        await Transport.DisposeAsync();
        // _stopping is cancelled, not disposed: channel handlers still running on the thread pool read its token.
    }
}

/// <summary>What joining did at start.</summary>
public enum JoinResult
{
    /// <summary>No tokens: this node started its own mesh.</summary>
    Started,

    /// <summary>Joined through one of the tokens.</summary>
    Joined,

    /// <summary>No token worked yet; the rejoin loop keeps trying.</summary>
    Pending,

    /// <summary>Every token's node refused us (wrong secret, wrong key): retrying cannot help.</summary>
    Refused,
}

/// <summary>The mesh a node is in and the secret its members prove.</summary>
public sealed record MeshCredentials(MeshId Mesh, string Secret);
