using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Nerdbank.Streams;

namespace MeshLlm.Transport;

/// <summary>
/// One multiplexed channel of a <see cref="MeshConnection"/>, after its type byte. Control channels use
/// <see cref="ReadFrameAsync{T}"/> and <see cref="WriteFrameAsync{T}"/>; tunnels use <see cref="Pipe"/>.
/// </summary>
public sealed class MeshChannel : IAsyncDisposable
{
    private readonly MuxChannel _channel;

    internal MeshChannel(MeshConnection connection, ChannelType type, MuxChannel channel)
    {
        Connection = connection;
        Type = type;
        _channel = channel;
        Stream = FullDuplexStream.Splice(channel.Input.AsStream(), channel.Output.AsStream());
    }

    public MeshConnection Connection { get; }

    public ChannelType Type { get; }

    /// <summary>The raw duplex pipe (half-close with <c>Output.CompleteAsync()</c>).</summary>
    public System.IO.Pipelines.IDuplexPipe Pipe => _channel;

    /// <summary>Completes once the peer has ended its side, reset the channel, or the mesh connection is gone.</summary>
    public Task RemoteEnded => _channel.RemoteEnded;

    /// <summary>A stream view of the channel; disposing it closes both directions.</summary>
    public Stream Stream { get; }

    /// <summary>Reads one control frame; null at a clean end. A bad frame throws <see cref="MeshProtocolException"/>.</summary>
    public async Task<T?> ReadFrameAsync<T>(JsonTypeInfo<T> type, CancellationToken cancellationToken)
        where T : class
    {
        var (status, payload) = await FrameCodec.ReadAsync(Stream, FrameCodec.MaxFrameBytes, cancellationToken);
        switch (status)
        {
            case FrameReadStatus.EndOfStream:
                return null;
            case FrameReadStatus.Ok:
                try
                {
                    return JsonSerializer.Deserialize(payload, type) ?? throw new MeshProtocolException($"{Type} frame is JSON null.");
                }
                catch (JsonException e)
                {
                    throw new MeshProtocolException($"{Type} frame does not match its schema: {e.Message}");
                }

            default:
                throw new MeshProtocolException($"{Type} frame is {status}.");
        }
    }

    public async Task WriteFrameAsync<T>(T frame, JsonTypeInfo<T> type, CancellationToken cancellationToken)
    {
        await FrameCodec.WriteAsync(Stream, JsonSerializer.SerializeToUtf8Bytes(frame, type), cancellationToken);
        await Stream.FlushAsync(cancellationToken);
    }

    /// <summary>Half-closes our side, lets the peer finish (bounded by <paramref name="linger"/>), then disposes.</summary>
    public async Task CloseAsync(TimeSpan linger, TimeProvider time)
    {
        try
        {
            await _channel.Output.CompleteAsync();
            using var cts = new CancellationTokenSource(linger, time);
            await _channel.Completion.WaitAsync(cts.Token);
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or ObjectDisposedException or InvalidOperationException)
        {
        }
        finally
        {
            await DisposeAsync();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Stream.DisposeAsync();
        _channel.Abort();
    }
}

/// <summary>A peer broke the wire protocol (bad frame, wrong schema, unknown channel type).</summary>
public sealed class MeshProtocolException(string message) : Exception(message);
