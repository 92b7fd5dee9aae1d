using System.IO.Pipelines;
using System.Net.Sockets;
using MeshLlm.Transport;

namespace MeshLlm.Tunnels;

/// <summary>
/// Copies bytes both ways between a mesh channel and a TCP socket until both directions have ended, with
/// half-close passed through (socket EOF → channel output completed; channel input completed → socket
/// shutdown). A dead mesh connection looks like a clean end on the channel, so it is watched separately and
/// turned into a reset: truncation is never forwarded as a normal end.
/// </summary>
public static class ChannelRelay
{
    private const int ChunkBytes = 64 * 1024;

    /// <summary>
    /// Connects to <paramref name="port"/> on 127.0.0.1 and relays <paramref name="channel"/> to it; when nothing
    /// accepts, closes the channel and returns the reason (else null once the relay has ended).
    /// </summary>
    public static async Task<string?> ToLoopbackAsync(MeshChannel channel, int port)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, port));
        }
        catch (SocketException e)
        {
            socket.Dispose();
            await channel.DisposeAsync();
            return e.Message;
        }

        await RunAsync(channel, socket, CancellationToken.None);
        return null;
    }

    public static async Task RunAsync(MeshChannel channel, Socket socket, CancellationToken cancellationToken)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var toSocket = ChannelToSocketAsync(channel.Pipe.Input, socket, channel.Connection.Closed, stop.Token);
        var toChannel = SocketToChannelAsync(socket, channel.Pipe.Output, stop.Token);
        var both = Task.WhenAll(toSocket, toChannel);
        if (await Task.WhenAny(both, channel.Connection.Closed) != both || toSocket.IsFaulted)
        {
            // The mesh connection died: reset the socket instead of ending it cleanly.
            socket.LingerState = new LingerOption(true, 0);
            await stop.CancelAsync();
        }

        try
        {
            await both;
            // Both directions ended cleanly: let the mux deliver what is still queued before the channel is
            // disposed (disposing a channel right away can drop its last frames).
            await channel.CloseAsync(DrainTimeout, TimeProvider.System);
        }
        catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or ObjectDisposedException or InvalidOperationException)
        {
        }
        finally
        {
            socket.Dispose();
        }
    }

    /// <summary>How long a tunnel that ended cleanly waits for its last frames to leave before it is disposed.</summary>
    internal static readonly TimeSpan DrainTimeout = TimeSpan.FromSeconds(10);

    private static async Task ChannelToSocketAsync(PipeReader input, Socket socket, Task connectionClosed, CancellationToken cancellationToken)
    {
        while (true)
        {
            var read = await input.ReadAsync(cancellationToken);
            foreach (var segment in read.Buffer)
            {
                await socket.SendAsync(segment, SocketFlags.None, cancellationToken);
            }

            input.AdvanceTo(read.Buffer.End);
            if (read.IsCompleted || read.IsCanceled)
            {
                break;
            }
        }

        await input.CompleteAsync();
        // A dying connection also ends the channel's input, without an error, and its closure can be noticed a
        // moment later: give it that moment, so a lost partner resets the socket instead of ending it cleanly.
        if (await Task.WhenAny(connectionClosed, Task.Delay(s_deathGrace, TimeProvider.System, cancellationToken)) == connectionClosed)
        {
            throw new IOException("The mesh connection under this tunnel was lost.");
        }

        socket.Shutdown(SocketShutdown.Send);
    }

    private static readonly TimeSpan s_deathGrace = TimeSpan.FromMilliseconds(100);

    private static async Task SocketToChannelAsync(Socket socket, PipeWriter output, CancellationToken cancellationToken)
    {
        while (true)
        {
            var memory = output.GetMemory(ChunkBytes);
            var received = await socket.ReceiveAsync(memory, SocketFlags.None, cancellationToken);
            if (received == 0)
            {
                break;
            }

            output.Advance(received);
            var flush = await output.FlushAsync(cancellationToken);
            if (flush.IsCompleted)
            {
                break;
            }
        }

        await output.CompleteAsync();
    }
}
