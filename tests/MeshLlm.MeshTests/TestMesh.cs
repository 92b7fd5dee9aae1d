using MeshLlm.Identity;
using MeshLlm.Membership;
using MeshLlm.Transport;
using Microsoft.Extensions.Logging;

namespace MeshLlm.MeshTests;

/// <summary>
/// In-process nodes on loopback with real TLS, each with its own key and a severable network, and short timers.
/// Waits are on snapshots (never sleeps) with a long timeout for "must happen".
/// </summary>
internal sealed class TestMesh : IAsyncDisposable
{
    public static readonly TimeSpan MustHappen = TimeSpan.FromSeconds(30);

    private readonly List<TestNode> _nodes = [];

    public MeshCredentials Credentials { get; } = new(MeshId.NewRandom(), InviteToken.NewSecret());

    public LogCapture Logs { get; } = new();

    public IReadOnlyList<TestNode> Nodes => _nodes;

    public static MembershipOptions FastOptions() => new()
    {
        PingInterval = TimeSpan.FromMilliseconds(300),
        PingTimeout = TimeSpan.FromMilliseconds(500),
        MissedPings = 2,
        ConfirmTimeout = TimeSpan.FromSeconds(1),
        RejoinInterval = TimeSpan.FromMilliseconds(500),
        GossipInterval = TimeSpan.FromMinutes(10),
        ClientRefreshInterval = TimeSpan.FromSeconds(1),
    };

    /// <summary>Starts a node; <paramref name="join"/> lists the nodes whose tokens it joins with.</summary>
    /// <summary>Starts a node that joins through <paramref name="join"/>'s tokens, or through <paramref name="tokens"/> as given.</summary>
    public async Task<TestNode> StartAsync(
        string name, TestNode[]? join = null, Action<MembershipOptions>? configure = null, MeshCredentials? credentials = null, bool reachable = true,
        ILoggerFactory? loggers = null, IReadOnlyList<InviteToken>? tokens = null, NodeKey? key = null)
    {
        var options = FastOptions();
        configure?.Invoke(options);
        var link = new Link();
        var transport = new TransportOptions
        {
            BindAddress = "127.0.0.1",
            AdvertiseInterfaces = false,
            ConnectTimeout = TimeSpan.FromSeconds(1),
            HandshakeTimeout = TimeSpan.FromSeconds(2),
            ChannelOpenTimeout = TimeSpan.FromSeconds(2),
            WrapStream = link.Wrap,
        };
        if (reachable)
        {
            transport.Advertise.Add("127.0.0.1");
        }

        tokens ??= [.. (join ?? []).Select(n => n.Node.Token)];
        var node = new MeshNode(key ?? NodeKey.Ephemeral(), credentials ?? Credentials, tokens, options, transport, TimeProvider.System, loggers ?? Logs.For(name));
        var test = new TestNode(name, node, link, Logs);
        _nodes.Add(test);
        test.JoinResult = await node.StartAsync(TestContext.Current.CancellationToken);
        return test;
    }

    /// <summary>Waits until <paramref name="condition"/> holds for every node in <paramref name="nodes"/>.</summary>
    public static async Task WaitAllAsync(IEnumerable<TestNode> nodes, Func<TestNode, MembershipSnapshot, bool> condition, string what, TimeSpan? timeout = null)
    {
        await Task.WhenAll(nodes.Select(n => n.WaitAsync(s => condition(n, s), what, timeout)));
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var node in _nodes)
        {
            await node.DisposeAsync();
        }
    }
}

internal sealed class TestNode(string name, MeshNode node, Link link, LogCapture logs) : IAsyncDisposable
{
    private bool _disposed;

    public string Name { get; } = name;

    public MeshNode Node { get; } = node;

    public Link Link { get; } = link;

    public JoinResult JoinResult { get; set; }

    public NodeId Id => Node.Id;

    public MembershipSnapshot Snapshot => Node.Snapshot;

    public PeerSnapshot? Peer(TestNode other) => Snapshot.Find(other.Id);

    public bool Sees(TestNode other) => Peer(other) is { Health: PeerHealth.Alive };

    /// <summary>Waits for a snapshot satisfying <paramref name="condition"/>; the failure says what was awaited and what was seen.</summary>
    public async Task WaitAsync(Func<MembershipSnapshot, bool> condition, string what, TimeSpan? timeout = null)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        void OnChanged(MembershipSnapshot s)
        {
            if (condition(s))
            {
                done.TrySetResult();
            }
        }

        Node.Changed += OnChanged;
        try
        {
            OnChanged(Node.Snapshot);
            var limit = timeout ?? TestMesh.MustHappen;
            if (await Task.WhenAny(done.Task, Task.Delay(limit, TestContext.Current.CancellationToken)) != done.Task)
            {
                throw new TimeoutException($"{Name}: waited {limit.TotalSeconds} s for {what}; last snapshot: {Describe(Node.Snapshot)}\nlog tail:\n{logs.Tail(80)}");
            }
        }
        finally
        {
            Node.Changed -= OnChanged;
        }
    }

    public static string Describe(MembershipSnapshot s) =>
        $"v{s.Version} self seq {s.Self.Seq} serving {s.Self.Serving ?? "-"}; peers [" +
        string.Join(", ", s.Peers.Select(p => $"{p.Id.ToShortString()} {p.Health} serving={p.Announcement.Serving ?? "-"} connected={p.Connected}")) + "]";

    /// <summary>Stops the node as a crash would: no leave message.</summary>
    public async ValueTask DisposeAsync()
    {
        if (!_disposed)
        {
            _disposed = true;
            Link.Restore();
            await Node.DisposeAsync();
        }
    }
}
