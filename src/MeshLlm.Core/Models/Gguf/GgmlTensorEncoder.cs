using System.Buffers.Binary;

namespace MeshLlm.Models.Gguf;

/// <summary>Encodes rows of floats into ggml's F32, F16 and Q8_0 byte layouts (little-endian).</summary>
internal static class GgmlTensorEncoder
{
    /// <summary>Weights per Q8_0 block.</summary>
    public const int Q8BlockLength = 32;

    /// <summary>Bytes per Q8_0 block: an f16 scale then 32 signed bytes.</summary>
    public const int Q8BlockBytes = 34;

    /// <summary>Gets how many elements form one block of <paramref name="type"/> and how many bytes it takes.</summary>
    /// <returns>False for types whose layout this code does not know.</returns>
    public static bool TryGetBlockLayout(GgmlType type, out int blockLength, out int blockBytes)
    {
        (blockLength, blockBytes) = type switch
        {
            GgmlType.F32 => (1, 4),
            GgmlType.F16 => (1, 2),
            GgmlType.Q8_0 => (Q8BlockLength, Q8BlockBytes),
            _ => (0, 0),
        };
        return blockLength > 0;
    }

    /// <summary>Gets the encoded size of a row of <paramref name="rowLength"/> elements.</summary>
    public static int GetRowByteCount(GgmlType type, int rowLength)
    {
        if (!TryGetBlockLayout(type, out int blockLength, out int blockBytes))
        {
            throw new ArgumentException($"Tensor type {type} cannot be written; use F32, F16 or Q8_0.", nameof(type));
        }

        if (rowLength % blockLength != 0)
        {
            throw new ArgumentException(
                $"A {type} row must be a multiple of {blockLength} elements, but ne0 is {rowLength}.", nameof(rowLength));
        }

        return checked(rowLength / blockLength * blockBytes);
    }

    /// <summary>Encodes <paramref name="row"/> into <paramref name="destination"/>, which must hold <see cref="GetRowByteCount"/> bytes.</summary>
    public static void EncodeRow(GgmlType type, ReadOnlySpan<float> row, Span<byte> destination)
    {
        switch (type)
        {
            case GgmlType.F32:
                for (int i = 0; i < row.Length; i++)
                {
                    BinaryPrimitives.WriteSingleLittleEndian(destination[(i * 4)..], row[i]);
                }

                break;
            case GgmlType.F16:
                for (int i = 0; i < row.Length; i++)
                {
                    BinaryPrimitives.WriteHalfLittleEndian(destination[(i * 2)..], (Half)row[i]);
                }

                break;
            case GgmlType.Q8_0:
                for (int block = 0; block < row.Length / Q8BlockLength; block++)
                {
                    EncodeQ8Block(
                        row.Slice(block * Q8BlockLength, Q8BlockLength),
                        destination.Slice(block * Q8BlockBytes, Q8BlockBytes));
                }

                break;
            default:
                throw new ArgumentException($"Tensor type {type} cannot be written; use F32, F16 or Q8_0.", nameof(type));
        }
    }

    /// <summary>Quantizes one block the way ggml's <c>quantize_row_q8_0_ref</c> does.</summary>
    /// <remarks>d = max|x| / 127 stored as f16; q = round-half-away(x · (1/d)) computed with the f32 d, or 0 when d is 0.</remarks>
    private static void EncodeQ8Block(ReadOnlySpan<float> block, Span<byte> destination)
    {
        float maxAbs = 0;
        foreach (float x in block)
        {
            maxAbs = MathF.Max(maxAbs, MathF.Abs(x));
        }

        float d = maxAbs / 127f;
        float inverse = d != 0 ? 1f / d : 0f;
        BinaryPrimitives.WriteHalfLittleEndian(destination, (Half)d);
        for (int j = 0; j < block.Length; j++)
        {
            float q = MathF.Round(block[j] * inverse, MidpointRounding.AwayFromZero);
            destination[2 + j] = unchecked((byte)(sbyte)Math.Clamp(q, -127f, 127f));
        }
    }
}
