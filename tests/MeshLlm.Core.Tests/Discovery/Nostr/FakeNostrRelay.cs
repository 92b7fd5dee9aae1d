using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace MeshLlm.Discovery.Nostr;

/// <summary>
/// A scripted relay on loopback for what a real relay will not do: serve forged or malformed events, never send
/// EOSE or OK, answer CLOSED, fragment frames, send oversize messages, or never finish the WebSocket handshake.
/// The handshake is done by hand over a <see cref="TcpListener"/> (RFC 6455 §4.2), then <see cref="WebSocket.CreateFromStream(Stream, bool, string?, TimeSpan)"/>.
/// </summary>
internal sealed class FakeNostrRelay : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _acceptLoop;
    private readonly ConcurrentBag<Task> _connections = [];

    public FakeNostrRelay()
    {
        _listener.Start();
        _acceptLoop = AcceptLoopAsync();
    }

    public Uri Url => new($"ws://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}");

    /// <summary>Raw JSON texts sent as the event of <c>["EVENT", sub, …]</c> for every REQ, in order.</summary>
    public List<string> Events { get; } = [];

    /// <summary>Raw messages sent before the events of each REQ answer (e.g. an oversize one).</summary>
    public List<string> Preamble { get; } = [];

    public bool NeverEose { get; init; }

    public bool NeverOk { get; init; }

    /// <summary>Answer every REQ with <c>["CLOSED", sub, reason]</c> instead of events.</summary>
    public string? ClosedReason { get; init; }

    /// <summary>Accept TCP but never answer the WebSocket handshake.</summary>
    public bool StallHandshake { get; init; }

    /// <summary>Send each message as WebSocket fragments of this many bytes (0: one frame).</summary>
    public int FragmentBytes { get; init; }

    /// <summary>Every text message received, in order.</summary>
    public ConcurrentQueue<string> Received { get; } = new();

    public int HandshakesCompleted => _handshakes;

    private int _handshakes;
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Waits until a received message satisfies <paramref name="predicate"/>.</summary>
    public async Task WaitForReceivedAsync(Func<string, bool> predicate, CancellationToken cancellationToken)
    {
        while (true)
        {
            var changed = _changed.Task;
            if (Received.Any(predicate))
            {
                return;
            }

            await changed.WaitAsync(cancellationToken);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        await _acceptLoop;
        await Task.WhenAll(_connections);
        _stop.Dispose();
    }

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            try
            {
                var client = await _listener.AcceptTcpClientAsync(_stop.Token);
                _connections.Add(ServeAsync(client));
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                return;
            }
        }
    }

    private async Task ServeAsync(TcpClient client)
    {
        using (client)
        {
            try
            {
                var stream = client.GetStream();
                var head = await ReadHeadAsync(stream, _stop.Token);
                if (StallHandshake)
                {
                    await Task.Delay(Timeout.Infinite, _stop.Token);
                }

                var key = head.Split("\r\n").First(l => l.StartsWith("Sec-WebSocket-Key:", StringComparison.OrdinalIgnoreCase))[18..].Trim();
#pragma warning disable CA5350 // RFC 6455 fixes SHA-1 for Sec-WebSocket-Accept; it is not used for security here.
                var accept = Convert.ToBase64String(SHA1.HashData(Encoding.ASCII.GetBytes(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11")));
#pragma warning restore CA5350
                await stream.WriteAsync(Encoding.ASCII.GetBytes(
                    $"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: {accept}\r\n\r\n"), _stop.Token);
                Interlocked.Increment(ref _handshakes);
                using var socket = WebSocket.CreateFromStream(stream, isServer: true, subProtocol: null, keepAliveInterval: TimeSpan.Zero);
                await ReceiveLoopAsync(socket);
            }
            catch (Exception e) when (e is OperationCanceledException or IOException or WebSocketException or SocketException or ObjectDisposedException or JsonException)
            {
                // The client went away or the fake stopped.
            }
        }
    }

    private async Task ReceiveLoopAsync(WebSocket socket)
    {
        var buffer = new byte[64 * 1024];
        while (true)
        {
            using var message = new MemoryStream();
            WebSocketReceiveResult result;
            do
            {
                result = await socket.ReceiveAsync(buffer, _stop.Token);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    return;
                }

                message.Write(buffer, 0, result.Count);
            }
            while (!result.EndOfMessage);

            var text = Encoding.UTF8.GetString(message.ToArray());
            Received.Enqueue(text);
            Interlocked.Exchange(ref _changed, new(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
            await AnswerAsync(socket, text);
        }
    }

    private async Task AnswerAsync(WebSocket socket, string text)
    {
        using var document = JsonDocument.Parse(text);
        var root = document.RootElement;
        switch (root[0].GetString())
        {
            case "REQ":
                var sub = JsonSerializer.Serialize(root[1].GetString());
                if (ClosedReason is { } reason)
                {
                    await SendAsync(socket, $"[\"CLOSED\",{sub},{JsonSerializer.Serialize(reason)}]");
                    return;
                }

                foreach (var raw in Preamble)
                {
                    await SendAsync(socket, raw);
                }

                foreach (var raw in Events)
                {
                    await SendAsync(socket, $"[\"EVENT\",{sub},{raw}]");
                }

                if (!NeverEose)
                {
                    await SendAsync(socket, $"[\"EOSE\",{sub}]");
                }

                break;
            case "EVENT" when !NeverOk:
                await SendAsync(socket, $"[\"OK\",{JsonSerializer.Serialize(root[1].GetProperty("id").GetString())},true,\"\"]");
                break;
        }
    }

    private async Task SendAsync(WebSocket socket, string text)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        if (FragmentBytes <= 0)
        {
            await socket.SendAsync(bytes, WebSocketMessageType.Text, endOfMessage: true, _stop.Token);
            return;
        }

        for (var offset = 0; offset < bytes.Length; offset += FragmentBytes)
        {
            var count = Math.Min(FragmentBytes, bytes.Length - offset);
            await socket.SendAsync(bytes.AsMemory(offset, count), WebSocketMessageType.Text, endOfMessage: offset + count >= bytes.Length, _stop.Token);
        }
    }

    private static async Task<string> ReadHeadAsync(NetworkStream stream, CancellationToken cancellationToken)
    {
        var head = new StringBuilder();
        var one = new byte[1];
        while (!head.ToString().EndsWith("\r\n\r\n", StringComparison.Ordinal))
        {
            if (await stream.ReadAsync(one, cancellationToken) == 0)
            {
                throw new IOException("client closed during the handshake");
            }

            head.Append((char)one[0]);
        }

        return head.ToString();
    }
}
