using System.Text;

namespace MeshLlm.Commands;

/// <summary>Aligned plain-text tables for command output: columns padded to their widest cell, two spaces apart.</summary>
internal static class Table
{
    public static IEnumerable<string> Format(IReadOnlyList<string> header, IEnumerable<IReadOnlyList<string>> rows, IReadOnlyCollection<int>? rightAligned = null)
    {
        var all = rows.Prepend(header).ToList();
        var widths = Enumerable.Range(0, header.Count).Select(i => all.Max(r => r[i].Length)).ToArray();
        foreach (var row in all)
        {
            var line = new StringBuilder();
            for (var i = 0; i < row.Count; i++)
            {
                var cell = rightAligned?.Contains(i) == true && !ReferenceEquals(row, header) ? row[i].PadLeft(widths[i]) : row[i].PadRight(widths[i]);
                line.Append(i == row.Count - 1 ? row[i] : cell + "  ");
            }

            yield return line.ToString().TrimEnd();
        }
    }
}
