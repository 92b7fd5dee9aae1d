using System.Net.WebSockets;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Logging;

namespace MeshLlm.Discovery.Nostr;

/// <summary>Publishes to and queries a set of Nostr relays in parallel, tolerating relays that are down, slow or lying.</summary>
/// <remarks>
/// One WebSocket per relay, opened on first use and kept for the next; after a failure the next call reconnects.
/// Relay failures never throw: a publish reports them per relay (<see cref="PublishResult"/>), a query just has
/// fewer results. Every event a query returns has passed <see cref="NostrEvent.Verify"/> and matches the filter;
/// anything else a relay sends is dropped and logged at debug level.
/// <para>Query flow, per relay, all relays at once:</para>
/// <code>
///   1. connect (or reuse)    ConnectTimeout, bounded by the query's timeout
///   2. ["REQ", sub, filter]
///   3. collect ["EVENT", sub, e] until ["EOSE", sub] | ["CLOSED", sub, why] | connection lost | timeout
///   4. ["CLOSE", sub]        unless the relay closed it or the connection is gone
/// then verify, filter and de-duplicate by id across relays; newest first.
/// </code>
/// </remarks>
public sealed partial class NostrRelayPool : IAsyncDisposable
{
    private readonly NostrRelayConnection[] _connections;
    private readonly TimeProvider _time;
    private readonly ILogger<NostrRelayPool> _logger;
    private NostrRelayPoolOptions _options = new();

    public NostrRelayPool(IReadOnlyList<Uri> relays, TimeProvider time, ILogger<NostrRelayPool> logger)
    {
        ArgumentNullException.ThrowIfNull(relays);
        ArgumentNullException.ThrowIfNull(time);
        ArgumentNullException.ThrowIfNull(logger);
        Relays = [.. relays.Distinct()];
        _time = time;
        _logger = logger;
        _connections = [.. Relays.Select(r => new NostrRelayConnection(r, () => _options, time, logger))];
    }

    public IReadOnlyList<Uri> Relays { get; }

    /// <summary>Connection limits; set before the first publish or query.</summary>
    public NostrRelayPoolOptions Options
    {
        get => _options;
        init => _options = value ?? throw new ArgumentNullException(nameof(value));
    }

    /// <summary>Sends <c>["EVENT", e]</c> to every relay and waits up to <paramref name="timeout"/> for each relay's <c>OK</c>.</summary>
    /// <exception cref="OperationCanceledException">Only when <paramref name="cancellationToken"/> is cancelled.</exception>
    public async Task<PublishResult> PublishAsync(NostrEvent e, TimeSpan timeout, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(e);
        var message = $"[\"EVENT\",{e.ToJson()}]";
        using var deadline = new CancellationTokenSource(timeout, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, deadline.Token);
        var outcomes = await Task.WhenAll(_connections.Select(c => PublishToAsync(c, e.Id, message, linked.Token, cancellationToken)));
        cancellationToken.ThrowIfCancellationRequested();
        return new PublishResult(
            [.. _connections.Where((_, i) => outcomes[i] is null).Select(c => c.Relay)],
            [.. outcomes.OfType<RelayFailure>()]);
    }

    /// <summary>Asks every relay for events matching <paramref name="filter"/>; returns what arrived within <paramref name="timeout"/>.</summary>
    /// <exception cref="OperationCanceledException">Only when <paramref name="cancellationToken"/> is cancelled.</exception>
    public async Task<IReadOnlyList<NostrEvent>> QueryAsync(NostrFilter filter, TimeSpan timeout, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(filter);
        var subscriptionId = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8));
        var request = $"[\"REQ\",\"{subscriptionId}\",{filter.ToJson()}]";
        using var deadline = new CancellationTokenSource(timeout, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, deadline.Token);
        var perRelay = await Task.WhenAll(_connections.Select(c => QueryOneAsync(c, subscriptionId, request, linked.Token, cancellationToken)));
        cancellationToken.ThrowIfCancellationRequested();

        var accepted = new Dictionary<string, NostrEvent>(StringComparer.Ordinal);
        for (var i = 0; i < perRelay.Length; i++)
        {
            foreach (var e in perRelay[i])
            {
                // An id already verified is done; a forged copy of a real id fails Verify, so the genuine copy still gets in.
                if (accepted.ContainsKey(e.Id))
                {
                    continue;
                }

                if (!e.Verify())
                {
                    Log.EventDropped(_logger, ShortId(e.Id), _connections[i].Relay, "bad id or signature");
                }
                else if (!filter.Matches(e))
                {
                    Log.EventDropped(_logger, ShortId(e.Id), _connections[i].Relay, "does not match the filter");
                }
                else
                {
                    accepted.TryAdd(e.Id, e);
                }
            }
        }

        return [.. accepted.Values.OrderByDescending(e => e.CreatedAt).ThenBy(e => e.Id, StringComparer.Ordinal)];
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var connection in _connections)
        {
            await connection.DisposeAsync();
        }
    }

    private static string ShortId(string id) => id.Length > 12 ? id[..12] : id;

    private async Task<RelayFailure?> PublishToAsync(NostrRelayConnection connection, string eventId, string message, CancellationToken operation, CancellationToken caller)
    {
        try
        {
            var (session, error) = await connection.GetSessionAsync(operation);
            if (session?.ExpectOk(eventId) is not { } ok)
            {
                return Failed(connection, RelayFailureKind.Down, session is null ? error : "connection lost");
            }

            try
            {
                await session.SendAsync(message, operation);
                var answer = await ok.WaitAsync(operation);
                return answer switch
                {
                    { ConnectionLost: true } => Failed(connection, RelayFailureKind.Down, answer.Message),
                    { Accepted: true } => null,
                    _ => Failed(connection, RelayFailureKind.Rejected, answer.Message),
                };
            }
            finally
            {
                session.ForgetOk(eventId);
            }
        }
        catch (OperationCanceledException) when (!caller.IsCancellationRequested)
        {
            return Failed(connection, RelayFailureKind.TimedOut, "no OK within the timeout");
        }
        catch (Exception e) when (e is WebSocketException or IOException or ObjectDisposedException)
        {
            return Failed(connection, RelayFailureKind.Down, e.Message);
        }

        RelayFailure Failed(NostrRelayConnection c, RelayFailureKind kind, string why)
        {
            Log.PublishFailed(_logger, c.Relay, ShortId(eventId), kind, why);
            return new RelayFailure(c.Relay, kind, why);
        }
    }

    private async Task<List<NostrEvent>> QueryOneAsync(NostrRelayConnection connection, string subscriptionId, string request, CancellationToken operation, CancellationToken caller)
    {
        var events = new List<NostrEvent>();
        NostrRelaySession? session = null;
        var closeNeeded = false;
        try
        {
            (session, var error) = await connection.GetSessionAsync(operation);
            if (session?.Subscribe(subscriptionId) is not { } reader)
            {
                Log.QueryFailed(_logger, connection.Relay, session is null ? error : "connection lost");
                return events;
            }

            try
            {
                closeNeeded = true;
                await session.SendAsync(request, operation);
                closeNeeded = await CollectAsync(connection.Relay, subscriptionId, reader, events, operation);
            }
            finally
            {
                session.Unsubscribe(subscriptionId);
            }
        }
        catch (OperationCanceledException) when (!caller.IsCancellationRequested)
        {
            Log.QueryTimedOut(_logger, connection.Relay, subscriptionId, events.Count);
        }
        catch (Exception e) when (e is WebSocketException or IOException or ObjectDisposedException)
        {
            closeNeeded = false;
            Log.QueryFailed(_logger, connection.Relay, e.Message);
        }

        if (closeNeeded && session is { IsOpen: true } && !caller.IsCancellationRequested)
        {
            await SendCloseAsync(session, subscriptionId, caller);
        }

        return events;
    }

    /// <summary>Reads one subscription's messages into <paramref name="events"/>; true when a CLOSE is still owed to the relay.</summary>
    private async Task<bool> CollectAsync(Uri relay, string subscriptionId, System.Threading.Channels.ChannelReader<SubscriptionMessage> reader, List<NostrEvent> events, CancellationToken cancellationToken)
    {
        while (await reader.WaitToReadAsync(cancellationToken))
        {
            while (reader.TryRead(out var message))
            {
                switch (message.Kind)
                {
                    case SubscriptionMessageKind.Event when events.Count < _options.MaxEventsPerRelay:
                        events.Add(message.Event!);
                        break;
                    case SubscriptionMessageKind.Event:
                        Log.TooManyEvents(_logger, relay, _options.MaxEventsPerRelay);
                        return true;
                    case SubscriptionMessageKind.EndOfStoredEvents:
                        return true;
                    case SubscriptionMessageKind.Closed:
                        Log.SubscriptionClosed(_logger, relay, subscriptionId, message.Text);
                        return false;
                    case SubscriptionMessageKind.ConnectionLost:
                        Log.QueryFailed(_logger, relay, message.Text);
                        return false;
                }
            }
        }

        return false;
    }

    private async Task SendCloseAsync(NostrRelaySession session, string subscriptionId, CancellationToken cancellationToken)
    {
        using var bound = new CancellationTokenSource(_options.ConnectTimeout, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, bound.Token);
        try
        {
            await session.SendAsync($"[\"CLOSE\",\"{subscriptionId}\"]", linked.Token);
        }
        catch (Exception e) when (e is OperationCanceledException or WebSocketException or IOException or ObjectDisposedException)
        {
            // The next use reconnects if the socket broke; the relay drops the subscription with it.
        }
    }
}
