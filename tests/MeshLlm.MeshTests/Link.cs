namespace MeshLlm.MeshTests;

/// <summary>
/// One node's network cable. <see cref="Cut"/> is a pulled cable: every byte stream of the node, existing or new,
/// stops delivering in both directions (reads wait, writes vanish), as a lost link does before TCP notices.
/// </summary>
internal sealed class Link
{
    private volatile TaskCompletionSource _cut = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public void Cut() => _cut.TrySetResult();

    /// <summary>New connections work again; streams that saw the cut stay dead.</summary>
    public void Restore()
    {
        if (_cut.Task.IsCompleted)
        {
            _cut = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }
    }

    public Stream Wrap(Stream inner) => new SeverableStream(inner, this);

    private Task CutTask => _cut.Task;

    private sealed class SeverableStream(Stream inner, Link link) : Stream
    {
        private readonly Task _cut = link.CutTask;

        public override bool CanRead => true;

        public override bool CanWrite => true;

        public override bool CanSeek => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (_cut.IsCompleted)
            {
                await Task.Delay(Timeout.Infinite, cancellationToken);
            }

            var read = inner.ReadAsync(buffer, cancellationToken).AsTask();
            if (await Task.WhenAny(read, _cut) == read)
            {
                return await read;
            }

            await Task.Delay(Timeout.Infinite, cancellationToken);
            return 0;
        }

        public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (!_cut.IsCompleted)
            {
                await inner.WriteAsync(buffer, cancellationToken);
            }
        }

        public override Task FlushAsync(CancellationToken cancellationToken) => _cut.IsCompleted ? Task.CompletedTask : inner.FlushAsync(cancellationToken);

        public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override void Write(byte[] buffer, int offset, int count) => WriteAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override void Flush() => FlushAsync(CancellationToken.None).GetAwaiter().GetResult();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                inner.Dispose();
            }

            base.Dispose(disposing);
        }
    }
}
