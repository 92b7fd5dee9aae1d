using MeshLlm.Models.Gguf;
using MeshLlm.Testing;

namespace MeshLlm.Bench;

/// <summary>
/// The bench model (width 1024, 12 layers; q8_0 ~151 MB, f16 ~284 MB) and the tiny test model, generated once
/// into .build/bench-models/.
/// </summary>
internal static class BenchModel
{
    public static string Path(bool f16 = false)
    {
        var options = TestModelOptions.Bench with { Name = "bench" };
        return f16 ? Generate("bench-f16.gguf", options with { TensorType = GgmlType.F16 }) : Generate("bench.gguf", options);
    }

    /// <summary>The tiny test model (≈0.5 MB, served as <c>tiny</c>): a short prompt and its first token take about 1.5 ms.</summary>
    public static string TinyPath() => Generate("tiny.gguf", TestModelOptions.Tiny with { Name = "tiny" });

    private static string Generate(string file, TestModelOptions options)
    {
        var folder = System.IO.Path.Combine(RepoPaths.Root, ".build", "bench-models");
        Directory.CreateDirectory(folder);
        var path = System.IO.Path.Combine(folder, file);
        if (!File.Exists(path))
        {
            global::System.Console.Error.WriteLine($"Generating a bench model at {path}...");
            TestModelGenerator.Write(path, options);
        }

        return path;
    }
}
