namespace MeshLlm.Inference.LlamaSharp; internal static class Placeholder { }
