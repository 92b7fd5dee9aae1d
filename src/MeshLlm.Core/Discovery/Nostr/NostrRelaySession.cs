using System.Buffers;
using System.Collections.Concurrent;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;

namespace MeshLlm.Discovery.Nostr;

/// <summary>One open WebSocket to a relay: sends frames, reads relay messages and routes them by subscription or event id.</summary>
/// <remarks>
/// A session lives until its socket fails or closes; then it ends every waiting subscription and publish with
/// "connection lost" and is replaced by a new session on the next use (<see cref="NostrRelayConnection"/>).
/// Routing state belongs to the session, so a late failure of an old socket never touches a newer one's waiters.
/// <code>
///   relay ──► ReceiveLoop ──► EVENT/EOSE/CLOSED ──► subscription channel (by sub id) ──► QueryAsync
///                         └─► OK ─────────────────► publish waiter (by event id) ─────► PublishAsync
///                         └─► NOTICE, malformed, oversize ──► logged
/// </code>
/// </remarks>
internal sealed class NostrRelaySession : IAsyncDisposable
{
    private const int ReceiveChunkBytes = 16 * 1024;

    private readonly Uri _relay;
    private readonly ClientWebSocket _socket;
    private readonly NostrRelayPoolOptions _options;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _sendLock = new(1, 1);
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentDictionary<string, Channel<SubscriptionMessage>> _subscriptions = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, TaskCompletionSource<OkAnswer>> _pendingOks = new(StringComparer.Ordinal);
    private readonly Task _receiveLoop;
    private volatile bool _closed;

    public NostrRelaySession(Uri relay, ClientWebSocket socket, NostrRelayPoolOptions options, ILogger logger)
    {
        _relay = relay;
        _socket = socket;
        _options = options;
        _logger = logger;
        _receiveLoop = ReceiveLoopAsync(_stop.Token);
    }

    public bool IsOpen => !_closed && _socket.State == WebSocketState.Open;

    /// <summary>Starts routing messages of <paramref name="subscriptionId"/>; null when the session already ended.</summary>
    public ChannelReader<SubscriptionMessage>? Subscribe(string subscriptionId)
    {
        var channel = Channel.CreateUnbounded<SubscriptionMessage>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
        _subscriptions[subscriptionId] = channel;
        if (_closed)
        {
            _subscriptions.TryRemove(subscriptionId, out _);
            return null;
        }

        return channel.Reader;
    }

    public void Unsubscribe(string subscriptionId) => _subscriptions.TryRemove(subscriptionId, out _);

    /// <summary>A task for the relay's <c>OK</c> about <paramref name="eventId"/>; null when the session already ended.</summary>
    public Task<OkAnswer>? ExpectOk(string eventId)
    {
        var waiter = _pendingOks.GetOrAdd(eventId, _ => new TaskCompletionSource<OkAnswer>(TaskCreationOptions.RunContinuationsAsynchronously));
        if (_closed)
        {
            _pendingOks.TryRemove(eventId, out _);
            return null;
        }

        return waiter.Task;
    }

    public void ForgetOk(string eventId) => _pendingOks.TryRemove(eventId, out _);

    public async Task SendAsync(string text, CancellationToken cancellationToken)
    {
        await _sendLock.WaitAsync(cancellationToken);
        try
        {
            await _socket.SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text, endOfMessage: true, cancellationToken);
        }
        finally
        {
            _sendLock.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _socket.Abort();
        await _receiveLoop;
        _socket.Dispose();
        _stop.Dispose();
        _sendLock.Dispose();
    }

    private async Task ReceiveLoopAsync(CancellationToken cancellationToken)
    {
        // Yield first: the constructor must return before the loop touches the socket.
        await Task.Yield();
        var chunk = new byte[ReceiveChunkBytes];
        var message = new ArrayBufferWriter<byte>(ReceiveChunkBytes);
        long messageBytes = 0;
        var reason = "the relay closed the connection";
        try
        {
            while (true)
            {
                var result = await _socket.ReceiveAsync(chunk.AsMemory(), cancellationToken);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    reason = "the relay closed the connection: " + (_socket.CloseStatusDescription ?? _socket.CloseStatus?.ToString() ?? "no reason");
                    break;
                }

                messageBytes += result.Count;
                if (messageBytes <= _options.MaxMessageBytes)
                {
                    message.Write(chunk.AsSpan(0, result.Count));
                }

                if (!result.EndOfMessage)
                {
                    continue;
                }

                if (messageBytes > _options.MaxMessageBytes)
                {
                    NostrRelayPool.Log.OversizeMessageDropped(_logger, _relay, messageBytes, _options.MaxMessageBytes);
                }
                else if (result.MessageType == WebSocketMessageType.Text)
                {
                    Dispatch(message.WrittenMemory);
                }

                message.ResetWrittenCount();
                messageBytes = 0;
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            reason = "the pool closed the connection";
        }
        catch (Exception e) when (e is WebSocketException or IOException or ObjectDisposedException)
        {
            reason = e.Message;
            NostrRelayPool.Log.RelayConnectionLost(_logger, _relay, reason);
        }
        finally
        {
            End(reason);
        }
    }

    private void End(string reason)
    {
        _closed = true;
        foreach (var (id, channel) in _subscriptions)
        {
            channel.Writer.TryWrite(SubscriptionMessage.Lost(reason));
            _subscriptions.TryRemove(id, out _);
        }

        foreach (var (id, waiter) in _pendingOks)
        {
            waiter.TrySetResult(new OkAnswer(ConnectionLost: true, Accepted: false, reason));
            _pendingOks.TryRemove(id, out _);
        }
    }

    private void Dispatch(ReadOnlyMemory<byte> utf8)
    {
        try
        {
            using var document = JsonDocument.Parse(utf8);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Array || root.GetArrayLength() < 2 || root[0].ValueKind != JsonValueKind.String)
            {
                NostrRelayPool.Log.MalformedMessage(_logger, _relay, "not an array starting with a message type");
                return;
            }

            var length = root.GetArrayLength();
            switch (root[0].GetString())
            {
                case "EVENT" when length >= 3 && root[1].ValueKind == JsonValueKind.String:
                    OnEvent(root[1].GetString()!, root[2]);
                    break;
                case "EOSE" when root[1].ValueKind == JsonValueKind.String:
                    Route(root[1].GetString()!, SubscriptionMessage.EndOfStoredEvents);
                    break;
                case "CLOSED" when root[1].ValueKind == JsonValueKind.String:
                    Route(root[1].GetString()!, SubscriptionMessage.Closed(OptionalString(root, 2)));
                    break;
                case "OK" when length >= 3 && root[1].ValueKind == JsonValueKind.String && root[2].ValueKind is JsonValueKind.True or JsonValueKind.False:
                    if (_pendingOks.TryRemove(root[1].GetString()!, out var waiter))
                    {
                        waiter.TrySetResult(new OkAnswer(ConnectionLost: false, root[2].GetBoolean(), OptionalString(root, 3)));
                    }

                    break;
                case "NOTICE":
                    NostrRelayPool.Log.RelayNotice(_logger, _relay, OptionalString(root, 1));
                    break;
                case "EVENT" or "EOSE" or "CLOSED" or "OK":
                    NostrRelayPool.Log.MalformedMessage(_logger, _relay, "wrong fields for " + root[0].GetString());
                    break;
                default:
                    // AUTH, COUNT and future message types are not used by mesh-llm.
                    break;
            }
        }
        catch (JsonException e)
        {
            NostrRelayPool.Log.MalformedMessage(_logger, _relay, e.Message);
        }
    }

    private void OnEvent(string subscriptionId, JsonElement element)
    {
        if (!_subscriptions.ContainsKey(subscriptionId))
        {
            return;
        }

        if (NostrEvent.FromJson(element) is not { } e)
        {
            NostrRelayPool.Log.MalformedMessage(_logger, _relay, "an EVENT whose event lacks a field or has a wrong type");
            return;
        }

        Route(subscriptionId, SubscriptionMessage.Of(e));
    }

    private void Route(string subscriptionId, SubscriptionMessage message)
    {
        if (_subscriptions.TryGetValue(subscriptionId, out var channel))
        {
            channel.Writer.TryWrite(message);
        }
    }

    private static string OptionalString(JsonElement array, int index) =>
        array.GetArrayLength() > index && array[index].ValueKind == JsonValueKind.String ? array[index].GetString()! : "";
}
