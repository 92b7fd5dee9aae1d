namespace MeshLlm.Models.Gguf;

/// <summary>One entry of a GGUF tensor table: where a tensor's data lies and how it is shaped.</summary>
/// <param name="Name">The tensor name, for example <c>blk.0.attn_q.weight</c>.</param>
/// <param name="Dimensions">Sizes with ne0 (the contiguous dimension) first.</param>
/// <param name="Type">The element type.</param>
/// <param name="Offset">Byte offset of the data from the start of the data section.</param>
internal sealed record GgufTensorInfo(string Name, IReadOnlyList<long> Dimensions, GgmlType Type, long Offset)
{
    /// <summary>Gets the number of elements (the product of the dimensions).</summary>
    public long ElementCount
    {
        get
        {
            long count = 1;
            foreach (long dimension in Dimensions)
            {
                count *= dimension;
            }

            return count;
        }
    }

    /// <summary>Gets the size of the data in bytes, or null when <see cref="Type"/> is not one whose layout we know.</summary>
    public long? ByteSize =>
        GgmlTensorEncoder.TryGetBlockLayout(Type, out int blockLength, out int blockBytes)
            ? ElementCount / blockLength * blockBytes
            : null;
}
