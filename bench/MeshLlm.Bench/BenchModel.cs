using MeshLlm.Models.Gguf;
using MeshLlm.Testing;

namespace MeshLlm.Bench;

/// <summary>The bench model (width 1024, 12 layers, q8_0, ~151 MB), generated once into .build/bench-models/.</summary>
internal static class BenchModel
{
    public static string Path()
    {
        var folder = System.IO.Path.Combine(RepoPaths.Root, ".build", "bench-models");
        Directory.CreateDirectory(folder);
        var path = System.IO.Path.Combine(folder, "bench.gguf");
        if (!File.Exists(path))
        {
            global::System.Console.Error.WriteLine($"Generating the bench model at {path}...");
            TestModelGenerator.Write(path, TestModelOptions.Bench with { Name = "bench" });
        }

        return path;
    }
}
