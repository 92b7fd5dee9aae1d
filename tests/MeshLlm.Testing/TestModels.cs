using MeshLlm.Models.Gguf;

namespace MeshLlm.Testing;

/// <summary>Generated GGUF test models, written once per test process into a temporary folder.</summary>
public static class TestModels
{
    private static readonly Lazy<string> s_folder = new(() => Directory.CreateTempSubdirectory("mesh-llm-models-").FullName);
    private static readonly Lock s_lock = new();

    public static string Folder => s_folder.Value;

    /// <summary>The tiny f32 model (≈0.5 MB), named <c>tiny</c> in the API.</summary>
    public static string Tiny => Get("tiny", TestModelOptions.Tiny);

    /// <summary>The tiny model in f16 (283,552 bytes), named <c>split-f16</c>: llama.cpp gives the same greedy text solo and split over rpc-servers.</summary>
    public static string TinyF16 => Get("split-f16", TestModelOptions.Tiny with { TensorType = Models.Gguf.GgmlType.F16 });

    /// <summary>A tiny f16 model with other weights, under <paramref name="name"/>; <paramref name="layers"/> deepens it (the tiny model has 2).</summary>
    public static string TinyF16Variant(string name, ulong seed, int layers = 2) =>
        Get(name, TestModelOptions.Tiny with { TensorType = Models.Gguf.GgmlType.F16, Seed = seed, LayerCount = layers });

    /// <summary>A tiny model with other weights, served under <paramref name="name"/>.</summary>
    public static string TinyVariant(string name, ulong seed) => Get(name, TestModelOptions.Tiny with { Seed = seed });

    /// <summary>Writes (once) a model with these options under the given file name (without .gguf).</summary>
    internal static string Get(string name, TestModelOptions options)
    {
        var path = Path.Combine(Folder, name + ".gguf");
        lock (s_lock)
        {
            if (!File.Exists(path))
            {
                TestModelGenerator.Write(path, options);
            }
        }

        return path;
    }
}
