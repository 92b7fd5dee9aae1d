using System.Buffers.Binary;

namespace MeshLlm.Models.Gguf;

public sealed class GgmlTensorEncoderTests
{
    [Theory]
    [InlineData(1f, 0x3C00)]
    [InlineData(-2f, 0xC000)]
    [InlineData(0.5f, 0x3800)]
    [InlineData(65504f, 0x7BFF)]
    [InlineData(0.1f, 0x2E66)]
    [InlineData(0f, 0x0000)]
    public void EncodeRow_F16_WritesIeeeHalfBits(float value, int expectedBits)
    {
        var bytes = new byte[2];

        GgmlTensorEncoder.EncodeRow(GgmlType.F16, [value], bytes);

        Assert.Equal((ushort)expectedBits, BinaryPrimitives.ReadUInt16LittleEndian(bytes));
        Assert.Equal(value, GgufTestData.Decode(GgmlType.F16, bytes, 1)[0], Math.Abs(value) * 1e-3f);
    }

    [Fact]
    public void EncodeRow_F32_WritesRawLittleEndianFloats()
    {
        float[] values = [1.5f, -0f, float.MaxValue, 1e-30f];
        var bytes = new byte[16];

        GgmlTensorEncoder.EncodeRow(GgmlType.F32, values, bytes);

        Assert.Equal(values, GgufTestData.Decode(GgmlType.F32, bytes, 4));
    }

    [Fact]
    public void EncodeRow_Q8Ramp_StoresScaleAndRoundedQuants()
    {
        float[] values = [.. Enumerable.Range(0, 32).Select(j => (j - 16) / 16f)];
        var bytes = new byte[34];

        GgmlTensorEncoder.EncodeRow(GgmlType.Q8_0, values, bytes);

        Assert.Equal((Half)(1f / 127f), BinaryPrimitives.ReadHalfLittleEndian(bytes));
        Assert.Equal(-127, (sbyte)bytes[2 + 0]);
        Assert.Equal(0, (sbyte)bytes[2 + 16]);
        Assert.Equal(119, (sbyte)bytes[2 + 31]); // 15/16 * 127 = 119.06
        float[] decoded = GgufTestData.Decode(GgmlType.Q8_0, bytes, 32);
        for (int j = 0; j < 32; j++)
        {
            Assert.Equal(values[j], decoded[j], 0.6f / 127f);
        }
    }

    [Fact]
    public void EncodeRow_Q8TwoBlocks_EachBlockHasItsOwnScale()
    {
        float[] values = [.. Enumerable.Repeat(0.25f, 32), .. Enumerable.Repeat(-8f, 32)];
        var bytes = new byte[68];

        GgmlTensorEncoder.EncodeRow(GgmlType.Q8_0, values, bytes);

        Assert.Equal((Half)(0.25f / 127f), BinaryPrimitives.ReadHalfLittleEndian(bytes));
        Assert.Equal((Half)(8f / 127f), BinaryPrimitives.ReadHalfLittleEndian(bytes.AsSpan(34)));
        Assert.All(bytes.AsSpan(2, 32).ToArray(), q => Assert.Equal(127, (sbyte)q));
        Assert.All(bytes.AsSpan(36, 32).ToArray(), q => Assert.Equal(-127, (sbyte)q));
        float[] decoded = GgufTestData.Decode(GgmlType.Q8_0, bytes, 64);
        Assert.Equal(0.25f, decoded[0], 1e-3f);
        Assert.Equal(-8f, decoded[63], 1e-2f);
    }

    [Fact]
    public void EncodeRow_Q8AllZero_WritesZeroScaleAndQuants()
    {
        var bytes = new byte[34];
        bytes.AsSpan().Fill(0xFF);

        GgmlTensorEncoder.EncodeRow(GgmlType.Q8_0, new float[32], bytes);

        Assert.All(bytes, b => Assert.Equal(0, b));
    }

    [Theory]
    [InlineData((int)GgmlType.F32, 3, 12)]
    [InlineData((int)GgmlType.F16, 3, 6)]
    [InlineData((int)GgmlType.Q8_0, 64, 68)]
    [InlineData((int)GgmlType.Q8_0, 1024, 1088)]
    public void GetRowByteCount_SupportedType_ReturnsEncodedSize(int type, int rowLength, int expected) =>
        Assert.Equal(expected, GgmlTensorEncoder.GetRowByteCount((GgmlType)type, rowLength));

    [Theory]
    [InlineData((int)GgmlType.Q8_0, 48)]
    [InlineData((int)GgmlType.Q8_0, 1)]
    [InlineData(12, 256)]
    public void GetRowByteCount_BadRowOrType_ThrowsArgumentException(int type, int rowLength) =>
        Assert.ThrowsAny<ArgumentException>(() => GgmlTensorEncoder.GetRowByteCount((GgmlType)type, rowLength));
}
