using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace MeshLlm.Models;

/// <summary>
/// A tiny HTTP/1.1 file server on loopback standing in for the Hugging Face hub, with the faults a real one has:
/// dropping a connection mid-body, ignoring <c>Range</c>, answering 416, and headers like <c>X-Linked-Etag</c>.
/// One request per connection (<c>Connection: close</c>), so every fault is exact.
/// </summary>
internal sealed class FakeHub : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private long _bodyBytesSent;

    public FakeHub()
    {
        _listener.Start();
        _ = AcceptLoopAsync();
    }

    public ConcurrentDictionary<string, byte[]> Files { get; } = new();

    /// <summary>The <c>Range</c> header of each request, in order ("" when none).</summary>
    public ConcurrentQueue<string> Ranges { get; } = new();

    /// <summary>Bytes of response bodies sent so far, over all requests.</summary>
    public long BodyBytesSent => Interlocked.Read(ref _bodyBytesSent);

    /// <summary>The first N requests close the connection after this many body bytes (null: never).</summary>
    public int? DropAfterBytes { get; set; }

    public int DropsLeft { get; set; }

    public bool IgnoreRange { get; set; }

    public bool Answer416 { get; set; }

    public string? LinkedEtag { get; set; }

    /// <summary>Paths answered with a 302 to another path, carrying <see cref="LinkedEtag"/> as the hub's redirects do.</summary>
    public ConcurrentDictionary<string, Uri> Redirects { get; } = new();

    /// <summary>Each request's path and <c>Authorization</c> header ("" when none), in order.</summary>
    public ConcurrentQueue<(string Path, string Authorization)> Requests { get; } = new();

    /// <summary>Sleep per 64 KB chunk, to make transfers overlap in the concurrency test.</summary>
    public TimeSpan ChunkDelay { get; set; }

    public Uri Url(string path) => new($"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}/{path}");

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            try
            {
                var client = await _listener.AcceptTcpClientAsync(_stop.Token);
                _ = ServeAsync(client);
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
                var head = await ReadHeadAsync(stream);
                var lines = head.Split("\r\n");
                var path = lines[0].Split(' ')[1].TrimStart('/');
                var range = lines.Skip(1).FirstOrDefault(l => l.StartsWith("Range:", StringComparison.OrdinalIgnoreCase))?[6..].Trim() ?? "";
                Ranges.Enqueue(range);
                var authorization = lines.Skip(1).FirstOrDefault(l => l.StartsWith("Authorization:", StringComparison.OrdinalIgnoreCase))?[14..].Trim() ?? "";
                Requests.Enqueue((path, authorization));
                if (Redirects.TryGetValue(Uri.UnescapeDataString(path), out var target))
                {
                    var linked = LinkedEtag is null ? "" : $"X-Linked-Etag: \"{LinkedEtag}\"\r\n";
                    await WriteAsync(stream, $"HTTP/1.1 302 Found\r\nLocation: {target}\r\n{linked}Content-Length: 0\r\nConnection: close\r\n\r\n");
                    return;
                }

                if (!Files.TryGetValue(Uri.UnescapeDataString(path), out var file))
                {
                    await WriteAsync(stream, "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
                    return;
                }

                var from = range.StartsWith("bytes=", StringComparison.Ordinal) ? long.Parse(range[6..].TrimEnd('-'), CultureInfo.InvariantCulture) : 0;
                var extra = LinkedEtag is null || !Redirects.IsEmpty ? "" : $"X-Linked-Etag: \"{LinkedEtag}\"\r\n";
                if (range.Length > 0 && (Answer416 || from >= file.Length))
                {
                    await WriteAsync(stream, $"HTTP/1.1 416 Range Not Satisfiable\r\nContent-Range: bytes */{file.Length}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
                    return;
                }

                if (range.Length == 0 || IgnoreRange)
                {
                    from = 0;
                    await WriteAsync(stream, $"HTTP/1.1 200 OK\r\nContent-Length: {file.Length}\r\n{extra}Connection: close\r\n\r\n");
                }
                else
                {
                    await WriteAsync(stream, $"HTTP/1.1 206 Partial Content\r\nContent-Range: bytes {from}-{file.Length - 1}/{file.Length}\r\nContent-Length: {file.Length - from}\r\n{extra}Connection: close\r\n\r\n");
                }

                int? limit = null;
                lock (this)
                {
                    if (DropsLeft > 0 && DropAfterBytes is { } n)
                    {
                        DropsLeft--;
                        limit = n;
                    }
                }

                var sent = 0L;
                for (var offset = from; offset < file.Length; offset += 65536)
                {
                    var count = (int)Math.Min(65536, file.Length - offset);
                    if (limit is { } max && sent + count > max)
                    {
                        count = (int)(max - sent);
                        await stream.WriteAsync(file.AsMemory((int)offset, count));
                        Interlocked.Add(ref _bodyBytesSent, count);
                        client.Client.Shutdown(SocketShutdown.Send);
                        return; // end the connection mid-body (short of Content-Length)
                    }

                    await stream.WriteAsync(file.AsMemory((int)offset, count));
                    Interlocked.Add(ref _bodyBytesSent, count);
                    sent += count;
                    if (ChunkDelay > TimeSpan.Zero)
                    {
                        await Task.Delay(ChunkDelay);
                    }
                }
            }
            catch (IOException)
            {
            }
        }
    }

    private static async Task<string> ReadHeadAsync(NetworkStream stream)
    {
        var bytes = new List<byte>();
        var one = new byte[1];
        while (!(bytes.Count >= 4 && bytes[^4] == '\r' && bytes[^3] == '\n' && bytes[^2] == '\r' && bytes[^1] == '\n'))
        {
            if (await stream.ReadAsync(one) == 0)
            {
                throw new IOException("client closed");
            }

            bytes.Add(one[0]);
        }

        return Encoding.ASCII.GetString([.. bytes]);
    }

    private static Task WriteAsync(NetworkStream stream, string text) => stream.WriteAsync(Encoding.ASCII.GetBytes(text)).AsTask();

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        _stop.Dispose();
    }
}
