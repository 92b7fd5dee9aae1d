using System.Buffers.Binary;
using System.Text;

namespace MeshLlm.Transport;

public sealed class FrameCodecTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static byte[] Frame(uint length, byte[] payload)
    {
        var bytes = new byte[4 + payload.Length];
        BinaryPrimitives.WriteUInt32BigEndian(bytes, length);
        payload.CopyTo(bytes, 4);
        return bytes;
    }

    [Fact]
    public async Task WriteThenRead_RoundTripsSeveralFrames()
    {
        using var stream = new MemoryStream();
        await FrameCodec.WriteAsync(stream, "{\"v\":1,\"type\":\"ping\"}"u8.ToArray(), Ct);
        await FrameCodec.WriteAsync(stream, "[1,2,3]"u8.ToArray(), Ct);
        stream.Position = 0;

        var first = await FrameCodec.ReadAsync(stream, FrameCodec.MaxFrameBytes, Ct);
        var second = await FrameCodec.ReadAsync(stream, FrameCodec.MaxFrameBytes, Ct);
        var end = await FrameCodec.ReadAsync(stream, FrameCodec.MaxFrameBytes, Ct);

        Assert.Equal((FrameReadStatus.Ok, "{\"v\":1,\"type\":\"ping\"}"), (first.Status, Encoding.UTF8.GetString(first.Payload!)));
        Assert.Equal("[1,2,3]", Encoding.UTF8.GetString(second.Payload!));
        Assert.Equal(FrameReadStatus.EndOfStream, end.Status);
    }

    [Fact]
    public async Task Write_OverLimit_Throws()
    {
        using var stream = new MemoryStream();

        await Assert.ThrowsAsync<ArgumentException>(async () => await FrameCodec.WriteAsync(stream, new byte[FrameCodec.MaxFrameBytes + 1], Ct));
        Assert.Equal(0, stream.Length);
    }

    [Theory]
    [InlineData(uint.MaxValue)]
    [InlineData((uint)FrameCodec.MaxFrameBytes + 1)]
    [InlineData(int.MaxValue)]
    public async Task Read_HugeLength_TooLargeWithoutAllocating(uint length)
    {
        using var stream = new MemoryStream(Frame(length, [(byte)'{']));
        var before = GC.GetAllocatedBytesForCurrentThread();

        var result = await FrameCodec.ReadAsync(stream, FrameCodec.MaxFrameBytes, Ct);

        Assert.Equal(FrameReadStatus.TooLarge, result.Status);
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 64 * 1024, "allocated for a frame it refused");
    }

    [Fact]
    public async Task Read_LengthOverCallerLimit_TooLarge()
    {
        using var stream = new MemoryStream(Frame(100, new byte[100]));

        Assert.Equal(FrameReadStatus.TooLarge, (await FrameCodec.ReadAsync(stream, 99, Ct)).Status);
    }

    [Theory]
    [InlineData(new byte[] { 0 }, FrameReadStatus.Truncated)]
    [InlineData(new byte[] { 0, 0, 0 }, FrameReadStatus.Truncated)]
    [InlineData(new byte[] { 0, 0, 0, 5, (byte)'{' }, FrameReadStatus.Truncated)]
    [InlineData(new byte[] { 0, 0, 0, 1, (byte)'{' }, FrameReadStatus.Malformed)]
    [InlineData(new byte[] { 0, 0, 0, 4, (byte)'{', (byte)'}', (byte)'{', (byte)'}' }, FrameReadStatus.Malformed)]
    [InlineData(new byte[] { 0, 0, 0, 3, (byte)'"', 0xC3, (byte)'"' }, FrameReadStatus.Malformed)]
    [InlineData(new byte[] { 0, 0, 0, 0 }, FrameReadStatus.Malformed)]
    [InlineData(new byte[] { 0, 0, 0, 2, (byte)'{', (byte)'}' }, FrameReadStatus.Ok)]
    public async Task Read_EdgeCases(byte[] bytes, FrameReadStatus expected)
    {
        using var stream = new MemoryStream(bytes);

        Assert.Equal(expected, (await FrameCodec.ReadAsync(stream, FrameCodec.MaxFrameBytes, Ct)).Status);
    }

    [Fact]
    public async Task Read_RandomAndHostileInput_NeverThrowsNorOverAllocates()
    {
        var random = new Random(2026);
        for (var i = 0; i < 5_000; i++)
        {
            var bytes = new byte[random.Next(0, 64)];
            random.NextBytes(bytes);
            if (bytes.Length >= 4 && random.Next(2) == 0)
            {
                // A plausible small length in front of random bytes, to reach the JSON check too.
                BinaryPrimitives.WriteUInt32BigEndian(bytes, (uint)random.Next(0, bytes.Length));
            }

            using var stream = new MemoryStream(bytes);
            var before = GC.GetAllocatedBytesForCurrentThread();
            var result = await FrameCodec.ReadAsync(stream, 4096, Ct);
            var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

            Assert.True(allocated < 4096 + 16 * 1024, $"case {i}: allocated {allocated} bytes");
            Assert.Equal(result.Status == FrameReadStatus.Ok, result.Payload is not null);
        }
    }
}
