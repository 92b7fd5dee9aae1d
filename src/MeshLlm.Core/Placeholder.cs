namespace MeshLlm; internal static class Placeholder { }
