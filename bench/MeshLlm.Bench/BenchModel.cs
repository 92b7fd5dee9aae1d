using MeshLlm.Models.Gguf;
using MeshLlm.Testing;

namespace MeshLlm.Bench;

/// <summary>
/// The bench model (width 1024, 12 layers; q8_0 ~151 MB, f16 ~284 MB), generated once into .build/bench-models/.
/// </summary>
internal static class BenchModel
{
    public static string Path(bool f16 = false)
    {
        var folder = System.IO.Path.Combine(RepoPaths.Root, ".build", "bench-models");
        Directory.CreateDirectory(folder);
        var path = System.IO.Path.Combine(folder, f16 ? "bench-f16.gguf" : "bench.gguf");
        if (!File.Exists(path))
        {
            global::System.Console.Error.WriteLine($"Generating the bench model at {path}...");
            var options = TestModelOptions.Bench with { Name = "bench" };
            TestModelGenerator.Write(path, f16 ? options with { TensorType = GgmlType.F16 } : options);
        }

        return path;
    }
}
