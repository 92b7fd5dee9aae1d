using System.IO.Pipelines;
using MeshLlm.Inference;
using MeshLlm.Transport;
using Microsoft.Extensions.Logging;

namespace MeshLlm.Tunnels;

/// <summary>
/// The receiving end of HTTP tunnels (channel 0x04): each channel becomes one connection to this node's model
/// server. A server in this process (the embedded engine) takes the channel itself; a child (llama-server) gets a
/// loopback TCP connection relayed byte for byte. No ready model: the channel is closed at once, which the
/// requesting node sees before any response byte and retries elsewhere.
/// </summary>
public sealed partial class HttpTunnelServer(Func<ServedModel?> readyModel, ILogger<HttpTunnelServer> logger)
{
    public async Task HandleAsync(MeshChannel channel)
    {
        var model = readyModel();
        if (model?.Endpoint is not { } endpoint)
        {
            LogNoModel(logger, channel.Connection.Remote.ToShortString());
            await channel.DisposeAsync();
            return;
        }

        if (model.Direct is { } direct)
        {
            await ServeDirectAsync(channel, direct, endpoint);
            return;
        }

        LogOpened(logger, channel.Connection.Remote.ToShortString(), endpoint);
        if (await ChannelRelay.ToLoopbackAsync(channel, endpoint.Port) is { } failure)
        {
            LogConnectFailed(logger, endpoint, failure);
        }
    }

    private async Task ServeDirectAsync(MeshChannel channel, IDirectConnections direct, Uri endpoint)
    {
        LogDirect(logger, channel.Connection.Remote.ToShortString());
        var aborted = false;
        try
        {
            // The channel's reader runs on the thread that reads the whole mesh connection: the server's request
            // handling must not, so each read resumes on the thread pool.
            await direct.ServeAsync(new PoolResumingPipe(channel.Pipe), channel.RemoteEnded, () =>
            {
                aborted = true;
                _ = channel.DisposeAsync().AsTask();
            });
        }
        catch (InvalidOperationException e)
        {
            // The server stopped between the routing decision and now: the requester sees a closed channel and retries.
            LogConnectFailed(logger, endpoint, e.Message);
            aborted = true;
        }

        if (aborted)
        {
            await channel.DisposeAsync();
        }
        else
        {
            // The server ended the connection cleanly: let the mux deliver what is still queued before disposing.
            await channel.CloseAsync(ChannelRelay.DrainTimeout, TimeProvider.System);
        }
    }

    /// <summary>A duplex pipe whose reads resume on the thread pool instead of the thread that completed them.</summary>
    private sealed class PoolResumingPipe(IDuplexPipe inner) : IDuplexPipe
    {
        public PipeReader Input { get; } = new PoolResumingReader(inner.Input);

        public PipeWriter Output => inner.Output;
    }

    private sealed class PoolResumingReader(PipeReader inner) : PipeReader
    {
        public override async ValueTask<ReadResult> ReadAsync(CancellationToken cancellationToken = default)
        {
            var pending = inner.ReadAsync(cancellationToken);
            if (pending.IsCompleted)
            {
                return await pending;
            }

            var result = await pending;
            await Task.Yield();
            return result;
        }

        public override bool TryRead(out ReadResult result) => inner.TryRead(out result);

        public override void AdvanceTo(SequencePosition consumed) => inner.AdvanceTo(consumed);

        public override void AdvanceTo(SequencePosition consumed, SequencePosition examined) => inner.AdvanceTo(consumed, examined);

        public override void CancelPendingRead() => inner.CancelPendingRead();

        public override void Complete(Exception? exception = null) => inner.Complete(exception);

        public override ValueTask CompleteAsync(Exception? exception = null) => inner.CompleteAsync(exception);
    }

    [LoggerMessage(EventId = 3100, Level = LogLevel.Debug, Message = "HTTP tunnel from {Peer} refused: no ready model here")]
    private static partial void LogNoModel(ILogger logger, string peer);

    [LoggerMessage(EventId = 3102, Level = LogLevel.Debug, Message = "HTTP tunnel from {Peer} relayed to {Endpoint}")]
    private static partial void LogOpened(ILogger logger, string peer, Uri endpoint);

    [LoggerMessage(EventId = 3103, Level = LogLevel.Debug, Message = "HTTP tunnel from {Peer} handed to the in-process model server")]
    private static partial void LogDirect(ILogger logger, string peer);

    [LoggerMessage(EventId = 3101, Level = LogLevel.Warning, Message = "HTTP tunnel could not reach the local model server {Endpoint}: {Reason}")]
    private static partial void LogConnectFailed(ILogger logger, Uri endpoint, string reason);
}
