namespace MeshLlm.Models.Gguf;

/// <summary>Produces one row (ne0 contiguous values) of a tensor being written by <see cref="GgufWriter"/>.</summary>
/// <param name="row">The row index: the flat index of the first element divided by ne0.</param>
/// <param name="values">A zeroed buffer of ne0 values to fill.</param>
/// <remarks>The writer asks for each row once per write, in order on the writing thread unless
/// <see cref="GgufWriter.MaxDegreeOfParallelism"/> is above 1, in which case rows are asked for concurrently and out of
/// order. A source that depends only on <paramref name="row"/> works either way and writes the same bytes every time.</remarks>
internal delegate void GgufRowSource(long row, Span<float> values);
