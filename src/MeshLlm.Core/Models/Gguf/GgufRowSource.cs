namespace MeshLlm.Models.Gguf;

/// <summary>Produces one row (ne0 contiguous values) of a tensor being written by <see cref="GgufWriter"/>.</summary>
/// <param name="row">The row index: the flat index of the first element divided by ne0.</param>
/// <param name="values">A zeroed buffer of ne0 values to fill.</param>
/// <remarks>The writer asks for rows in order, once each per write; a source should depend only on <paramref name="row"/>
/// so that writing twice gives the same bytes.</remarks>
internal delegate void GgufRowSource(long row, Span<float> values);
