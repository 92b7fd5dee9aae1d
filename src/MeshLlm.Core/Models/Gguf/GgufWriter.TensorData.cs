using System.Buffers;

namespace MeshLlm.Models.Gguf;

// Tensor data: rows are produced and encoded into a batch buffer (in parallel when allowed), then written in order.
internal sealed partial class GgufWriter
{
    /// <summary>The most encoded bytes held before they are written.</summary>
    private const int BatchBytes = 1 << 20;

    private void WriteTensorData(Stream stream, TensorEntry tensor, CancellationToken cancellationToken)
    {
        int rowLength = (int)tensor.Dimensions[0];
        int rowBytes = GgmlTensorEncoder.GetRowByteCount(tensor.Type, rowLength);
        long rowCount = tensor.ByteSize / rowBytes;
        int batchRows = (int)Math.Clamp(BatchBytes / rowBytes, 1, rowCount);
        byte[] batch = ArrayPool<byte>.Shared.Rent(batchRows * rowBytes);
        try
        {
            for (long first = 0; first < rowCount; first += batchRows)
            {
                cancellationToken.ThrowIfCancellationRequested();
                int count = (int)Math.Min(batchRows, rowCount - first);
                var rows = new RowBatch(tensor, first, count, rowLength, rowBytes, batch);
                if (MaxDegreeOfParallelism == 1 || count == 1)
                {
                    EncodeSequentially(rows);
                }
                else
                {
                    EncodeInParallel(rows, cancellationToken);
                }

                stream.Write(batch, 0, count * rowBytes);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(batch);
        }
    }

    private static void EncodeSequentially(RowBatch rows)
    {
        float[] values = ArrayPool<float>.Shared.Rent(rows.RowLength);
        try
        {
            for (int i = 0; i < rows.Count; i++)
            {
                rows.Encode(i, values);
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(values);
        }
    }

    private void EncodeInParallel(RowBatch rows, CancellationToken cancellationToken)
    {
        var options = new ParallelOptions { MaxDegreeOfParallelism = MaxDegreeOfParallelism, CancellationToken = cancellationToken };
        Parallel.For(
            0,
            rows.Count,
            options,
            () => ArrayPool<float>.Shared.Rent(rows.RowLength),
            (i, _, values) =>
            {
                rows.Encode(i, values);
                return values;
            },
            values => ArrayPool<float>.Shared.Return(values));
    }

    /// <summary>A run of consecutive rows of one tensor and the buffer their encoded bytes go to.</summary>
    private sealed record RowBatch(TensorEntry Tensor, long FirstRow, int Count, int RowLength, int RowBytes, byte[] Destination)
    {
        /// <summary>Produces row <paramref name="index"/> of the batch into <paramref name="scratch"/> and encodes it.</summary>
        public void Encode(int index, float[] scratch)
        {
            Span<float> values = scratch.AsSpan(0, RowLength);
            values.Clear();
            Tensor.Rows(FirstRow + index, values);
            GgmlTensorEncoder.EncodeRow(Tensor.Type, values, Destination.AsSpan(index * RowBytes, RowBytes));
        }
    }
}
