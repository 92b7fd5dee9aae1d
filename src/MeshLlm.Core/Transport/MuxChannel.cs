using System.IO.Pipelines;

namespace MeshLlm.Transport;

/// <summary>
/// One channel of a <see cref="MeshMux"/>, as a duplex pipe. <c>Output.CompleteAsync()</c> half-closes (the peer
/// reads to the end and may still answer); <see cref="Abort"/> drops both directions. The end of the peer's
/// data, a reset and a lost connection all end <c>Input</c> cleanly; after a reset or a lost connection,
/// writes throw <see cref="IOException"/>.
/// </summary>
internal sealed partial class MuxChannel : IDuplexPipe
{
    private static readonly PipeOptions s_inboundOptions = new(
        readerScheduler: PipeScheduler.Inline,
        writerScheduler: PipeScheduler.Inline,
        pauseWriterThreshold: 0, // the window bounds what the peer may send
        useSynchronizationContext: false);

    private readonly MeshMux _mux;
    private readonly Pipe _inbound = new(s_inboundOptions);
    private readonly TaskCompletionSource _accepted = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _remoteGone = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Lock _gate = new();

    // Guarded by _gate.
    private long _credit = MeshMux.WindowBytes;
    private TaskCompletionSource? _creditWaiter;
    private bool _delivering;
    private bool _inboundEnded;
    private bool _endPending;
    private bool _readerGone;
    private bool _finSent;
    private bool _remoteEnded;
    private bool _outboundDead;
    private bool _removed;

    /// <summary>Bytes received and not yet granted back to the sender (at most the window).</summary>
    private long _outstanding;

    /// <summary>Bytes consumed by our reader and not yet granted back.</summary>
    private long _consumed;

    internal MuxChannel(MeshMux mux, uint id)
    {
        _mux = mux;
        Id = id;
        Input = new CreditingReader(_inbound.Reader, this);
        Output = new FramingWriter(this);
    }

    public uint Id { get; }

    public PipeReader Input { get; }

    public PipeWriter Output { get; }

    /// <summary>Completes once both sides have finished both directions, or the channel was dropped.</summary>
    public Task Completion => _completion.Task;

    internal Task Accepted => _accepted.Task;

    /// <summary>Completes once the peer has ended its side (FIN), reset the channel, or the connection is gone.</summary>
    public Task RemoteEnded => _remoteGone.Task;

    /// <summary>Drops the channel: the peer's writes stop and its input ends; nothing more is read here.</summary>
    public void Abort()
    {
        bool tellPeer;
        lock (_gate)
        {
            if (_removed)
            {
                return;
            }

            _removed = true;
            tellPeer = !(_finSent && _remoteEnded);
            _outboundDead = true;
        }

        _mux.Remove(this);
        if (tellPeer)
        {
            _mux.Post(MuxFrame.Reset, Id);
        }

        Finish();
    }

    internal void OnAccepted() => _accepted.TrySetResult();

    internal void OnRemoteFin()
    {
        bool closed;
        lock (_gate)
        {
            _remoteEnded = true;
            closed = _finSent && !_removed;
            _removed |= closed;
        }

        _remoteGone.TrySetResult();

        EndInbound();
        if (closed)
        {
            _mux.Remove(this);
            Finish();
        }
    }

    internal void OnRemoteReset()
    {
        _mux.Remove(this);
        Drop("The peer refused the channel.");
    }

    internal void OnConnectionLost() => Drop("The connection closed.");

    /// <summary>The channel is gone without our say: input ends, writes fail, a pending open fails.</summary>
    private void Drop(string reason)
    {
        lock (_gate)
        {
            _remoteEnded = true;
            _outboundDead = true;
            _removed = true;
        }

        _accepted.TrySetException(new IOException(reason));
        _remoteGone.TrySetResult();
        Finish();
    }

    internal void OnWindow(uint credit)
    {
        TaskCompletionSource? waiter;
        lock (_gate)
        {
            _credit += credit;
            waiter = _creditWaiter;
            _creditWaiter = null;
        }

        waiter?.TrySetResult();
    }

    /// <summary>Read loop only: moves one data frame's payload from <paramref name="source"/> into the input.</summary>
    internal async ValueTask ReceiveAsync(Stream source, int length)
    {
        bool discard;
        lock (_gate)
        {
            _outstanding += length;
            if (_outstanding > MeshMux.WindowBytes)
            {
                throw new MeshProtocolException($"mux channel {Id} overran its window ({_outstanding} bytes outstanding)");
            }

            discard = _inboundEnded || _readerGone;
            _delivering = !discard;
        }

        if (discard)
        {
            await MeshMux.SkipAsync(source, length);
            GrantBack(length, consumedByReader: false);
            return;
        }

        try
        {
            var left = length;
            while (left > 0)
            {
                var memory = _inbound.Writer.GetMemory(Math.Min(left, 16 * 1024));
                var read = await source.ReadAsync(memory[..Math.Min(left, memory.Length)]);
                if (read == 0)
                {
                    throw new EndOfStreamException("The connection ended inside a data frame.");
                }

                _inbound.Writer.Advance(read);
                left -= read;
            }

            // Inline: the reader's continuation runs here, so the bytes go on without a thread hop.
            await _inbound.Writer.FlushAsync();
        }
        finally
        {
            bool end;
            lock (_gate)
            {
                _delivering = false;
                end = _endPending;
            }

            if (end)
            {
                _inbound.Writer.Complete();
            }
        }
    }

    /// <summary>Ends the input (once); waits for a delivery in progress to finish first.</summary>
    private void EndInbound()
    {
        lock (_gate)
        {
            if (_inboundEnded)
            {
                return;
            }

            _inboundEnded = true;
            if (_delivering)
            {
                _endPending = true;
                return;
            }
        }

        _inbound.Writer.Complete();
    }

    private void Finish()
    {
        TaskCompletionSource? waiter;
        lock (_gate)
        {
            waiter = _creditWaiter;
            _creditWaiter = null;
        }

        waiter?.TrySetResult();
        EndInbound();
        _completion.TrySetResult();
    }

    /// <summary>Tells the sender it may send <paramref name="bytes"/> more, in batches of a quarter window.</summary>
    private void GrantBack(long bytes, bool consumedByReader)
    {
        long grant = 0;
        lock (_gate)
        {
            _consumed += bytes;
            if (!_remoteEnded && !_removed && (_consumed >= MeshMux.WindowBytes / 4 || !consumedByReader || _readerGone))
            {
                grant = _consumed;
                _consumed = 0;
                _outstanding -= grant;
            }
        }

        if (grant > 0)
        {
            _mux.Post(MuxFrame.Window, Id, (uint)grant);
        }
    }

    /// <summary>Our reader is done: what arrives from now on is dropped (and granted back so the peer never stalls).</summary>
    private void OnReaderCompleted()
    {
        bool abort;
        long buffered;
        lock (_gate)
        {
            _readerGone = true;
            abort = _finSent && !_remoteEnded;
            buffered = _outstanding - _consumed;
        }

        if (abort)
        {
            // Both of our directions are done and we will not read the answer: drop the channel.
            Abort();
            return;
        }

        GrantBack(buffered, consumedByReader: false);
    }
}
