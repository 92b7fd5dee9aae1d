using System.Buffers.Binary;
using System.IO.Pipelines;
using System.Security.Cryptography;
using System.Text;
using Nerdbank.Streams;

namespace MeshLlm.Transport;

/// <summary>The channel multiplexer over an in-memory stream pair: both ends real, nothing faked.</summary>
public sealed class MeshMuxTests : IAsyncLifetime
{
    private static readonly TimeSpan s_patience = TimeSpan.FromSeconds(20);
    private MeshMux _dialer = null!;
    private MeshMux _acceptor = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public ValueTask InitializeAsync()
    {
        var (a, b) = FullDuplexStream.CreatePair();
        _dialer = new MeshMux(a, dialer: true);
        _acceptor = new MeshMux(b, dialer: false);
        return ValueTask.CompletedTask;
    }

    public async ValueTask DisposeAsync()
    {
        await _dialer.DisposeAsync();
        await _acceptor.DisposeAsync();
    }

    private async Task<(MuxChannel Opened, MuxChannel Accepted)> OpenPairAsync()
    {
        var opened = _dialer.OpenAsync(Ct);
        var accepted = await _acceptor.AcceptAsync(Ct).AsTask().WaitAsync(s_patience, Ct);
        return (await opened.WaitAsync(s_patience, Ct), accepted);
    }

    private static async Task<byte[]> ReadToEndAsync(PipeReader input)
    {
        using var stream = input.AsStream();
        using var copy = new MemoryStream();
        await stream.CopyToAsync(copy, Ct).WaitAsync(s_patience, Ct);
        return copy.ToArray();
    }

    private static async Task WriteAsync(PipeWriter output, byte[] bytes, int chunk)
    {
        for (var i = 0; i < bytes.Length; i += chunk)
        {
            await output.WriteAsync(bytes.AsMemory(i, Math.Min(chunk, bytes.Length - i)), Ct);
        }
    }

    [Fact]
    public async Task HalfClose_ThePeerReadsToTheEnd_AndStillAnswers()
    {
        var (a, b) = await OpenPairAsync();

        await a.Output.WriteAsync("question"u8.ToArray(), Ct);
        Assert.False(b.RemoteEnded.IsCompleted);
        await a.Output.CompleteAsync();
        Assert.Equal("question", Encoding.UTF8.GetString(await ReadToEndAsync(b.Input)));
        await b.RemoteEnded.WaitAsync(s_patience, Ct);
        Assert.False(a.RemoteEnded.IsCompleted);
        await b.Output.WriteAsync("answer"u8.ToArray(), Ct);
        await b.Output.CompleteAsync();

        Assert.Equal("answer", Encoding.UTF8.GetString(await ReadToEndAsync(a.Input)));
        await Task.WhenAll(a.Completion, b.Completion).WaitAsync(s_patience, Ct);
    }

    [Fact]
    public async Task ManyMegabytesBothWaysAtOnce_ArriveIntact_PastTheWindow()
    {
        var (a, b) = await OpenPairAsync();
        var up = RandomNumberGenerator.GetBytes(5 * MeshMux.WindowBytes + 12345);
        var down = RandomNumberGenerator.GetBytes(3 * MeshMux.WindowBytes + 999);

        var sendUp = Task.Run(async () => { await WriteAsync(a.Output, up, 100_000); await a.Output.CompleteAsync(); }, Ct);
        var sendDown = Task.Run(async () => { await WriteAsync(b.Output, down, 7_000); await b.Output.CompleteAsync(); }, Ct);
        var receivedUp = ReadToEndAsync(b.Input);
        var receivedDown = ReadToEndAsync(a.Input);

        await Task.WhenAll(sendUp, sendDown).WaitAsync(s_patience, Ct);
        Assert.Equal(up, await receivedUp);
        Assert.Equal(down, await receivedDown);
    }

    [Fact]
    public async Task AChannelNobodyReads_DoesNotStallTheOthers()
    {
        var (stalledA, stalledB) = await OpenPairAsync();
        var flood = RandomNumberGenerator.GetBytes(3 * MeshMux.WindowBytes);
        var floodSent = WriteAsync(stalledA.Output, flood, MeshMux.MaxPayloadBytes);
        await Task.Delay(200, Ct);
        Assert.False(floodSent.IsCompleted); // held back by the window, not buffered without limit

        var (a, b) = await OpenPairAsync();
        await a.Output.WriteAsync("ping"u8.ToArray(), Ct);
        var ping = await b.Input.ReadAtLeastAsync(4, Ct).AsTask().WaitAsync(s_patience, Ct);
        Assert.Equal("ping", Encoding.UTF8.GetString(ping.Buffer));
        b.Input.AdvanceTo(ping.Buffer.End);

        var drained = ReadToEndAsync(stalledB.Input);
        await floodSent.WaitAsync(s_patience, Ct);
        await stalledA.Output.CompleteAsync();
        Assert.Equal(flood, await drained);
    }

    [Fact]
    public async Task Abort_EndsThePeersInput_AndItsWritesFail()
    {
        var (a, b) = await OpenPairAsync();
        await a.Output.WriteAsync("partial"u8.ToArray(), Ct);

        a.Abort();

        Assert.Equal("partial", Encoding.UTF8.GetString(await ReadToEndAsync(b.Input)));
        await b.Completion.WaitAsync(s_patience, Ct);
        Assert.True(b.RemoteEnded.IsCompleted);
        await Assert.ThrowsAsync<IOException>(async () => await b.Output.WriteAsync("late"u8.ToArray(), Ct));
    }

    [Fact]
    public async Task LostConnection_EndsEveryChannel_AndFurtherOpensFail()
    {
        var (a, b) = await OpenPairAsync();
        var reading = ReadToEndAsync(b.Input);

        await _dialer.DisposeAsync();

        Assert.Empty(await reading);
        await b.RemoteEnded.WaitAsync(s_patience, Ct);
        await _acceptor.Completion.WaitAsync(s_patience, Ct);
        Assert.Null(_acceptor.Error);
        await Assert.ThrowsAsync<IOException>(async () => await b.Output.WriteAsync("x"u8.ToArray(), Ct));
        await Assert.ThrowsAsync<IOException>(async () => await a.Output.WriteAsync("x"u8.ToArray(), Ct));
        await Assert.ThrowsAsync<IOException>(() => _acceptor.OpenAsync(Ct));
        await Assert.ThrowsAnyAsync<InvalidOperationException>(async () => await _acceptor.AcceptAsync(Ct));
    }

    [Fact]
    public async Task AFullPeer_RefusesNewChannels_AndTheOpenerIsTold()
    {
        var open = new List<MuxChannel>();
        for (var i = 0; i < MeshMux.MaxChannels; i++)
        {
            open.Add((await OpenPairAsync()).Opened);
        }

        await Assert.ThrowsAsync<IOException>(() => _dialer.OpenAsync(Ct).WaitAsync(s_patience, Ct));

        open[0].Abort();
        await Task.Delay(100, Ct);
        await OpenPairAsync(); // a slot came free
    }

    [Theory]
    [InlineData(0x09, 1u, 0u, "unknown mux frame type 0x09")]
    [InlineData((byte)MuxFrame.Open, 1u, 0u, "may not number")] // the acceptor numbers its channels even
    [InlineData((byte)MuxFrame.Data, 2u, 65537u, "data frame of 65537 bytes")]
    [InlineData((byte)MuxFrame.Fin, 2u, 5u, "Fin frame has length 5")]
    public async Task ABadFrame_ClosesTheConnection_WithTheReason(byte type, uint id, uint length, string reason)
    {
        var (ours, raw) = FullDuplexStream.CreatePair();
        await using var mux = new MeshMux(ours, dialer: true);
        var frame = new byte[MeshMux.HeaderBytes];
        frame[0] = type;
        BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(1), id);
        BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(5), length);

        await raw.WriteAsync(frame, Ct);

        await mux.Completion.WaitAsync(s_patience, Ct);
        Assert.Contains(reason, Assert.IsType<MeshProtocolException>(mux.Error).Message);
    }

    [Fact]
    public async Task APeerThatIgnoresTheWindow_IsCutOff()
    {
        var (ours, raw) = FullDuplexStream.CreatePair();
        await using var mux = new MeshMux(ours, dialer: true);
        var frame = new byte[MeshMux.HeaderBytes + MeshMux.MaxPayloadBytes];
        frame[0] = (byte)MuxFrame.Open;
        BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(1), 2);
        await raw.WriteAsync(frame.AsMemory(0, MeshMux.HeaderBytes), Ct);
        var channel = await mux.AcceptAsync(Ct).AsTask().WaitAsync(s_patience, Ct);

        frame[0] = (byte)MuxFrame.Data;
        BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(5), MeshMux.MaxPayloadBytes);
        for (var sent = 0; sent <= MeshMux.WindowBytes && !mux.Completion.IsCompleted; sent += MeshMux.MaxPayloadBytes)
        {
            await raw.WriteAsync(frame, Ct);
        }

        await mux.Completion.WaitAsync(s_patience, Ct);
        Assert.Contains("overran its window", Assert.IsType<MeshProtocolException>(mux.Error).Message);
        Assert.True(channel.Completion.IsCompleted);
    }
}
