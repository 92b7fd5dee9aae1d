using System.Globalization;
using MeshLlm.Discovery.Nostr;
using MeshLlm.Membership;
using MeshLlm.Models;
using MeshLlm.Planning;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace MeshLlm.Discovery;

/// <summary>
/// Lists this mesh on Nostr once enabled (<c>--publish</c>, an <c>--auto</c> node that started a mesh, or a watchdog
/// takeover): a kind-31990 event rebuilt from the live mesh every <see cref="DiscoveryOptions.PublishInterval"/>, with a
/// NIP-40 expiration of <see cref="DiscoveryOptions.ListingTtl"/>; withdrawn (NIP-09 deletion) while connected clients
/// reach <c>--max-clients</c> and restored below it; deleted on a clean stop.
/// </summary>
public sealed partial class ListingPublisher(
    MeshNode node,
    NostrRelayPool relays,
    Func<NostrKey> key,
    DemandTracker demand,
    ModelCatalog catalog,
    IOptions<DiscoveryOptions> options,
    string? meshName,
    TimeProvider time,
    ILogger<ListingPublisher> logger) : BackgroundService
{
    private static readonly TimeSpan s_relayTimeout = TimeSpan.FromSeconds(5);

    /// <summary>Shortest time between two publications, so a flapping mesh does not flood the relays.</summary>
    public static readonly TimeSpan MinRepublishGap = TimeSpan.FromSeconds(2);

    private readonly TaskCompletionSource _enabled = new(TaskCreationOptions.RunContinuationsAsynchronously);
    // The latest listing only: its deletion's `a` tag (kind:pubkey:d) covers every earlier version of the address.
    private NostrEvent? _published;
    private TaskCompletionSource _wake = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private string _servingListed = "";
    private NostrKey? _key;
    private long _lastCreatedAt;
    private long _meshStartedMs;
    private bool _withdrawn;

    public bool IsEnabled => _enabled.Task.IsCompleted;

    /// <summary>Whether a listing is on the relays now (published and neither withdrawn nor deleted).</summary>
    public bool IsListed { get; private set; }

    /// <summary>The publishing key (NIP-19), once publishing started.</summary>
    public string? Npub => _key?.Npub;

    public IReadOnlyList<Uri> Relays => relays.Relays;

    /// <summary>Why publishing is on, or why the listing is withdrawn now; null when off.</summary>
    public string? Reason { get; private set; }

    /// <summary>
    /// Starts publishing (idempotent; call it once the node has started or joined, so its token has addresses);
    /// <paramref name="reason"/> goes to the log.
    /// </summary>
    public void Enable(string reason)
    {
        if (_enabled.TrySetResult())
        {
            Reason = reason;
            LogEnabled(reason);
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await _enabled.Task.WaitAsync(stoppingToken);
            try
            {
                _key = key();
            }
            catch (Exception e) when (e is Identity.IdentityException or IOException or UnauthorizedAccessException)
            {
                // The node keeps serving; only its listing is missing.
                Reason = "not publishing: " + e.Message;
                LogNoKey(e.Message);
                return;
            }

            LogPublisher(_key.Npub, string.Join(", ", options.Value.RelayUris()));
            node.Changed += OnChanged;
            while (true)
            {
                var wake = _wake = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                await PublishOnceAsync(stoppingToken);
                // Republish every interval, or sooner (not more than every MinRepublishGap) when what joiners choose by
                // changes or the clients cross --max-clients.
                await Task.WhenAny(wake.Task, Task.Delay(options.Value.PublishInterval, time, stoppingToken));
                await Task.Delay(MinRepublishGap, time, stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        finally
        {
            node.Changed -= OnChanged;
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        if (IsListed)
        {
            await WithdrawAsync("shutting down", cancellationToken);
        }
    }

    private void OnChanged(MembershipSnapshot snapshot)
    {
        if (IsFull(snapshot) != _withdrawn || ListingBuilder.ChoiceKey(snapshot) != _servingListed)
        {
            _wake.TrySetResult();
        }
    }

    private bool IsFull(MembershipSnapshot snapshot) => options.Value.MaxClients > 0 && snapshot.Clients >= options.Value.MaxClients;

    private async Task PublishOnceAsync(CancellationToken cancellationToken)
    {
        var snapshot = node.Snapshot;
        if (IsFull(snapshot))
        {
            if (!_withdrawn)
            {
                _withdrawn = true;
                Reason = $"withdrawn: {snapshot.Clients} clients reached --max-clients {options.Value.MaxClients}";
                LogFull(snapshot.Clients, options.Value.MaxClients);
                await WithdrawAsync($"{snapshot.Clients} clients reached --max-clients", cancellationToken);
            }

            return;
        }

        if (_withdrawn)
        {
            _withdrawn = false;
            Reason = $"listed again: {snapshot.Clients} clients, under --max-clients {options.Value.MaxClients}";
            LogRestored(snapshot.Clients, options.Value.MaxClients);
        }

        _servingListed = ListingBuilder.ChoiceKey(snapshot);
        var listing = Listing(snapshot);
        var now = time.GetUtcNow();
        // Replaceable events keep the newest created_at: never reuse a second.
        var createdAt = _lastCreatedAt = Math.Max(now.ToUnixTimeSeconds(), _lastCreatedAt + 1);
        var e = CreateEvent(_key!, listing, DateTimeOffset.FromUnixTimeSeconds(createdAt), options.Value.ListingTtl);
        var result = await relays.PublishAsync(e, s_relayTimeout, cancellationToken);
        if (!result.AnyAccepted)
        {
            LogPublishFailed(string.Join("; ", result.Failures.Select(f => $"{f.Relay}: {f.Message}")));
            return;
        }

        Volatile.Write(ref _published, e);

        var first = !IsListed;
        IsListed = true;
        if (first)
        {
            LogListed(listing.Name ?? "(unnamed)", listing.Serving.Count, listing.NodeCount, result.Accepted.Count);
        }
    }

    /// <summary>
    /// The signed listing event: kind 31990, tags <c>d</c> and <c>k</c> = <c>mesh-llm</c> and a NIP-40 <c>expiration</c>
    /// of <paramref name="createdAt"/> + <paramref name="ttl"/>; the content is the listing's JSON.
    /// </summary>
    public static NostrEvent CreateEvent(NostrKey key, MeshListing listing, DateTimeOffset createdAt, TimeSpan ttl)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(listing);
        var expiration = createdAt.ToUnixTimeSeconds() + (long)ttl.TotalSeconds;
        return key.Sign(MeshDiscovery.ListingKind,
            [["d", MeshDiscovery.Tag], ["k", MeshDiscovery.Tag], ["expiration", expiration.ToString(CultureInfo.InvariantCulture)]],
            listing.ToJson(), createdAt);
    }

    /// <summary>This mesh's listing as it would be published now.</summary>
    public MeshListing Listing(MembershipSnapshot snapshot)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        _meshStartedMs = ListingBuilder.MeshStartedMs(snapshot, _meshStartedMs);
        var rates = demand.RatesPerMinute(demand.MeshDemand(snapshot));
        var settings = new ListingSettings(node.Token.Encode(), meshName, options.Value.Region, options.Value.MaxClients,
            typeof(ListingPublisher).Assembly.GetName().Version?.ToString(3) ?? "0.0.0");
        return ListingBuilder.Build(snapshot, settings, rates, catalog, _meshStartedMs);
    }

    /// <summary>Asks the relays to delete this node's listing, every version of it (NIP-09).</summary>
    private async Task WithdrawAsync(string reason, CancellationToken cancellationToken)
    {
        var published = Interlocked.Exchange(ref _published, null);
        IsListed = false;
        if (published is null || _key is null)
        {
            return;
        }

        var deletion = NostrEvents.Deletion(_key, [published], reason, time.GetUtcNow());
        var result = await relays.PublishAsync(deletion, s_relayTimeout, cancellationToken);
        LogWithdrawn(reason, result.Accepted.Count);
    }

    [LoggerMessage(EventId = 7110, Level = LogLevel.Information, Message = "Publishing this mesh on Nostr ({Reason})")]
    private partial void LogEnabled(string reason);

    [LoggerMessage(EventId = 7117, Level = LogLevel.Error, Message = "Cannot publish the mesh on Nostr: {Reason}")]
    private partial void LogNoKey(string reason);

    [LoggerMessage(EventId = 7111, Level = LogLevel.Information, Message = "Nostr publisher {Npub} on {Relays}")]
    private partial void LogPublisher(string npub, string relays);

    [LoggerMessage(EventId = 7112, Level = LogLevel.Information, Message = "Mesh listed on Nostr: {Name}, {Models} model(s), {Nodes} node(s); accepted by {Relays} relay(s)")]
    private partial void LogListed(string name, int models, int nodes, int relays);

    [LoggerMessage(EventId = 7113, Level = LogLevel.Warning, Message = "No relay accepted the listing: {Failures}")]
    private partial void LogPublishFailed(string failures);

    [LoggerMessage(EventId = 7114, Level = LogLevel.Information, Message = "Listing withdrawn ({Reason}); {Relays} relay(s) accepted the deletion")]
    private partial void LogWithdrawn(string reason, int relays);

    [LoggerMessage(EventId = 7115, Level = LogLevel.Information, Message = "{Clients} clients connected, --max-clients {Max}: withdrawing the listing until fewer are")]
    private partial void LogFull(int clients, int max);

    [LoggerMessage(EventId = 7116, Level = LogLevel.Information, Message = "{Clients} clients connected, under --max-clients {Max}: listing again")]
    private partial void LogRestored(int clients, int max);
}
