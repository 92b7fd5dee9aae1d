using System.Buffers;
using System.IO.Pipelines;

namespace MeshLlm.Transport;

internal sealed partial class MuxChannel
{
    /// <summary>The channel's input: a pipe reader that grants the sender window credit as bytes are consumed.</summary>
    private sealed class CreditingReader(PipeReader inner, MuxChannel channel) : PipeReader
    {
        private ReadOnlySequence<byte> _last;

        public override async ValueTask<ReadResult> ReadAsync(CancellationToken cancellationToken = default)
        {
            var result = await inner.ReadAsync(cancellationToken);
            _last = result.Buffer;
            return result;
        }

        public override bool TryRead(out ReadResult result)
        {
            if (!inner.TryRead(out result))
            {
                return false;
            }

            _last = result.Buffer;
            return true;
        }

        public override void AdvanceTo(SequencePosition consumed) => AdvanceTo(consumed, consumed);

        public override void AdvanceTo(SequencePosition consumed, SequencePosition examined)
        {
            var bytes = _last.Slice(_last.Start, consumed).Length;
            _last = default;
            inner.AdvanceTo(consumed, examined);
            if (bytes > 0)
            {
                channel.GrantBack(bytes, consumedByReader: true);
            }
        }

        public override void CancelPendingRead() => inner.CancelPendingRead();

        public override void Complete(Exception? exception = null)
        {
            inner.Complete(exception);
            channel.OnReaderCompleted();
        }
    }

    /// <summary>
    /// The channel's output: buffers what is written and sends it as data frames on flush, on the caller's
    /// thread. Completing it sends FIN (or, with an exception, resets the channel).
    /// </summary>
    private sealed class FramingWriter(MuxChannel channel) : PipeWriter
    {
        private readonly ArrayBufferWriter<byte> _buffer = new();
        private CancellationTokenSource? _flushCancel;

        public override bool CanGetUnflushedBytes => true;

        public override long UnflushedBytes => _buffer.WrittenCount;

        public override void Advance(int bytes) => _buffer.Advance(bytes);

        public override Memory<byte> GetMemory(int sizeHint = 0) => _buffer.GetMemory(sizeHint);

        public override Span<byte> GetSpan(int sizeHint = 0) => _buffer.GetSpan(sizeHint);

        public override ValueTask<FlushResult> FlushAsync(CancellationToken cancellationToken = default) =>
            _buffer.WrittenCount == 0 ? ValueTask.FromResult(default(FlushResult)) : SendAsync(null, cancellationToken);

        public override ValueTask<FlushResult> WriteAsync(ReadOnlyMemory<byte> source, CancellationToken cancellationToken = default) =>
            SendAsync(source, cancellationToken);

        /// <summary>Sends what is buffered, then <paramref name="source"/> (without copying it).</summary>
        private async ValueTask<FlushResult> SendAsync(ReadOnlyMemory<byte>? source, CancellationToken cancellationToken)
        {
            using var cancel = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            _flushCancel = cancel;
            try
            {
                if (_buffer.WrittenCount > 0)
                {
                    await channel.SendAsync(_buffer.WrittenMemory, cancel.Token);
                    _buffer.ResetWrittenCount();
                }

                if (source is { } bytes)
                {
                    await channel.SendAsync(bytes, cancel.Token);
                }

                return default;
            }
            catch (OperationCanceledException) when (cancel.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
            {
                return new FlushResult(isCanceled: true, isCompleted: false);
            }
            finally
            {
                _flushCancel = null;
            }
        }

        public override void CancelPendingFlush() => _flushCancel?.Cancel();

        public override void Complete(Exception? exception = null) => _ = CompleteAsync(exception).AsTask();

        public override async ValueTask CompleteAsync(Exception? exception = null)
        {
            if (exception is null)
            {
                try
                {
                    await FlushAsync();
                    await channel.SendFinAsync();
                    return;
                }
                catch (IOException)
                {
                }
            }

            channel.Abort();
        }
    }
}
