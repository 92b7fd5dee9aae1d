namespace MeshLlm.Transport;

internal sealed partial class MuxChannel
{
    /// <summary>Sends <paramref name="data"/> as data frames, waiting for window credit as needed.</summary>
    private async ValueTask SendAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        while (!data.IsEmpty)
        {
            int size;
            while (true)
            {
                TaskCompletionSource waiter;
                lock (_gate)
                {
                    if (_outboundDead || _finSent)
                    {
                        throw new IOException(_finSent ? "The channel's output is already complete." : "The channel was reset or its connection closed.");
                    }

                    if (_credit > 0)
                    {
                        size = (int)Math.Min(Math.Min(_credit, data.Length), MeshMux.MaxPayloadBytes);
                        _credit -= size;
                        break;
                    }

                    // Resumed off the read loop, so a bulk sender never holds it up.
                    waiter = _creditWaiter ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                }

                await waiter.Task.WaitAsync(cancellationToken);
            }

            await _mux.WriteFrameAsync(MuxFrame.Data, Id, 0, data[..size], cancellationToken);
            data = data[size..];
        }
    }

    private async ValueTask SendFinAsync()
    {
        lock (_gate)
        {
            if (_outboundDead || _finSent)
            {
                return;
            }

            _finSent = true;
        }

        try
        {
            await _mux.WriteFrameAsync(MuxFrame.Fin, Id, 0, default, CancellationToken.None);
        }
        catch (IOException)
        {
            // The connection closed; the channel is finished by the close.
        }

        bool closed, abort;
        lock (_gate)
        {
            closed = _remoteEnded && !_removed;
            abort = !_remoteEnded && _readerGone;
            _removed |= closed;
        }

        if (closed)
        {
            _mux.Remove(this);
            Finish();
        }
        else if (abort)
        {
            Abort();
        }
    }
}
