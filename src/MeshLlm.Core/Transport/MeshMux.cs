using System.Buffers;
using System.Buffers.Binary;

namespace MeshLlm.Transport;

/// <summary>
/// Splits one authenticated stream into channels (docs/protocol.md §3.5). Every frame is a 9-byte header
/// <c>[type][channel id, u32 BE][length, u32 BE]</c>, followed by <c>length</c> payload bytes for
/// <see cref="MuxFrame.Data"/> only (a <see cref="MuxFrame.Window"/> frame carries its credit in the length).
/// </summary>
/// <remarks>
/// Built for per-token latency: a writer frames its bytes and writes them to the TLS stream on its own thread
/// (under a lock), and the read loop hands received bytes to the channel's reader inline, so a token crosses
/// a node without waiting for another thread. The read loop never waits for a write, so two nodes both
/// pushing bulk data cannot deadlock; replies it owes (accept, window, reset) go out on their own tasks.
/// Each channel has a fixed receive window (<see cref="WindowBytes"/>), so one unread channel never stalls the rest.
/// </remarks>
internal sealed class MeshMux : IAsyncDisposable
{
    public const int HeaderBytes = 9;

    /// <summary>Largest data payload in one frame (TLS writes of 64 KiB or more run at full speed).</summary>
    public const int MaxPayloadBytes = 64 * 1024;

    /// <summary>Bytes a sender may have in flight on one channel before the receiver grants more.</summary>
    public const int WindowBytes = 1024 * 1024;

    /// <summary>Channels the peer may hold open on one connection; further opens are reset.</summary>
    public const int MaxChannels = 1024;

    private readonly Stream _stream;
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly Dictionary<uint, MuxChannel> _channels = [];
    private readonly System.Threading.Channels.Channel<MuxChannel> _incoming = System.Threading.Channels.Channel.CreateUnbounded<MuxChannel>();
    private readonly TaskCompletionSource _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private uint _nextId;
    private uint _lastRemoteId;
    private bool _closed;

    /// <param name="stream">The connection; the mux owns and disposes it.</param>
    /// <param name="dialer">True on the side that dialed: it numbers its channels odd, the other side even.</param>
    public MeshMux(Stream stream, bool dialer)
    {
        _stream = stream;
        _nextId = dialer ? 1u : 2u;
        _ = ReadLoopAsync();
    }

    /// <summary>Completes (never faults) when the connection has ended; <see cref="Error"/> says why, if not cleanly.</summary>
    public Task Completion => _completion.Task;

    public Exception? Error { get; private set; }

    /// <summary>Opens a channel and waits until the peer has accepted it.</summary>
    public async Task<MuxChannel> OpenAsync(CancellationToken cancellationToken)
    {
        MuxChannel channel;
        lock (_channels)
        {
            if (_closed)
            {
                throw new IOException("The connection is closed.");
            }

            if (_nextId > uint.MaxValue - 2)
            {
                throw new IOException("This connection has used up its channel numbers; it must be reopened.");
            }

            channel = new MuxChannel(this, _nextId);
            _nextId += 2;
            _channels[channel.Id] = channel;
        }

        try
        {
            await WriteFrameAsync(MuxFrame.Open, channel.Id, 0, default, cancellationToken);
            await channel.Accepted.WaitAsync(cancellationToken);
            return channel;
        }
        catch
        {
            channel.Abort();
            throw;
        }
    }

    /// <summary>The next channel the peer opened; throws <see cref="InvalidOperationException"/> once the connection has ended.</summary>
    public ValueTask<MuxChannel> AcceptAsync(CancellationToken cancellationToken) => _incoming.Reader.ReadAsync(cancellationToken);

    internal async ValueTask WriteFrameAsync(MuxFrame type, uint id, uint length, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken)
    {
        var frame = ArrayPool<byte>.Shared.Rent(HeaderBytes + payload.Length);
        try
        {
            frame[0] = (byte)type;
            BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(1), id);
            BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(5), type == MuxFrame.Data ? (uint)payload.Length : length);
            payload.Span.CopyTo(frame.AsSpan(HeaderBytes));
            await _writeLock.WaitAsync(cancellationToken);
            try
            {
                if (_closed)
                {
                    throw new IOException("The connection is closed.");
                }

                // Not cancellable once started: half a frame would corrupt the connection.
                await _stream.WriteAsync(frame.AsMemory(0, HeaderBytes + payload.Length), CancellationToken.None);
                await _stream.FlushAsync(CancellationToken.None);
            }
            catch (Exception e) when (e is not IOException || !_closed)
            {
                Close(e);
                throw e as IOException ?? new IOException("The connection failed while sending.", e);
            }
            finally
            {
                _writeLock.Release();
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(frame);
        }
    }

    /// <summary>Sends a frame the caller does not wait for (from the read loop, or from synchronous code).</summary>
    internal void Post(MuxFrame type, uint id, uint length = 0)
    {
        if (!_closed)
        {
            _ = PostAsync(type, id, length);
        }
    }

    private async Task PostAsync(MuxFrame type, uint id, uint length)
    {
        try
        {
            await WriteFrameAsync(type, id, length, default, CancellationToken.None);
        }
        catch (IOException)
        {
            // The connection is gone; Close has already ended every channel.
        }
    }

    internal void Remove(MuxChannel channel)
    {
        lock (_channels)
        {
            if (_channels.TryGetValue(channel.Id, out var current) && current == channel)
            {
                _channels.Remove(channel.Id);
            }
        }
    }

    private MuxChannel? Find(uint id)
    {
        lock (_channels)
        {
            return _channels.GetValueOrDefault(id);
        }
    }

    private async Task ReadLoopAsync()
    {
        await Task.Yield(); // the constructor returns before the first read blocks
        var header = new byte[HeaderBytes];
        Exception? error = null;
        try
        {
            while (true)
            {
                var read = await _stream.ReadAtLeastAsync(header, HeaderBytes, throwOnEndOfStream: false);
                if (read == 0)
                {
                    break;
                }

                if (read < HeaderBytes)
                {
                    throw new EndOfStreamException("The connection ended inside a frame header.");
                }

                var type = (MuxFrame)header[0];
                var id = BinaryPrimitives.ReadUInt32BigEndian(header.AsSpan(1));
                var length = BinaryPrimitives.ReadUInt32BigEndian(header.AsSpan(5));
                if (type != MuxFrame.Data && type != MuxFrame.Window && length != 0)
                {
                    throw new MeshProtocolException($"mux {type} frame has length {length}");
                }

                switch (type)
                {
                    case MuxFrame.Data when length is 0 or > MaxPayloadBytes:
                        throw new MeshProtocolException($"mux data frame of {length} bytes (allowed 1-{MaxPayloadBytes})");
                    case MuxFrame.Data when Find(id) is { } channel:
                        await channel.ReceiveAsync(_stream, (int)length);
                        break;
                    case MuxFrame.Data:
                        await SkipAsync(_stream, (int)length); // a channel we have just reset
                        break;
                    case MuxFrame.Open:
                        OnOpen(id);
                        break;
                    case MuxFrame.Accept:
                        Find(id)?.OnAccepted();
                        break;
                    case MuxFrame.Fin:
                        Find(id)?.OnRemoteFin();
                        break;
                    case MuxFrame.Reset:
                        Find(id)?.OnRemoteReset();
                        break;
                    case MuxFrame.Window:
                        Find(id)?.OnWindow(length);
                        break;
                    default:
                        throw new MeshProtocolException($"unknown mux frame type 0x{(byte)type:x2}");
                }
            }
        }
        catch (Exception e)
        {
            error = e;
        }

        Close(error);
    }

    private void OnOpen(uint id)
    {
        MuxChannel? channel = null;
        lock (_channels)
        {
            if (id % 2 == _nextId % 2 || id <= _lastRemoteId)
            {
                throw new MeshProtocolException($"mux open of channel {id}, which the peer may not number");
            }

            _lastRemoteId = id;
            if (_channels.Count < MaxChannels)
            {
                channel = new MuxChannel(this, id);
                channel.OnAccepted();
                _channels[id] = channel;
            }
        }

        if (channel is null)
        {
            Post(MuxFrame.Reset, id);
            return;
        }

        Post(MuxFrame.Accept, id);
        _incoming.Writer.TryWrite(channel);
    }

    /// <summary>Reads and drops one data frame's payload (for a channel that is gone or no longer read).</summary>
    internal static async ValueTask SkipAsync(Stream stream, int length)
    {
        var scratch = ArrayPool<byte>.Shared.Rent(length);
        try
        {
            await stream.ReadExactlyAsync(scratch.AsMemory(0, length));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(scratch);
        }
    }

    /// <summary>Ends the connection: every channel's input ends, every later write fails.</summary>
    private void Close(Exception? error)
    {
        List<MuxChannel> channels;
        lock (_channels)
        {
            if (_closed)
            {
                return;
            }

            _closed = true;
            Error = error;
            channels = [.. _channels.Values];
            _channels.Clear();
        }

        _incoming.Writer.TryComplete();
        foreach (var channel in channels)
        {
            channel.OnConnectionLost();
        }

        _stream.Dispose();
        _completion.TrySetResult();
    }

    public ValueTask DisposeAsync()
    {
        Close(null);
        return ValueTask.CompletedTask;
    }
}
