using System.Reflection;

namespace MeshLlm.Testing;

/// <summary>Finds the repository and the built <c>mesh-llm</c> executable.</summary>
public static class RepoPaths
{
    public static string Root { get; } = FindRoot();

    public static string Configuration { get; } =
        typeof(RepoPaths).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .First(a => a.Key == "Configuration").Value!;

    /// <summary>The apphost built next to the tests (same configuration).</summary>
    public static string Executable => Path.Combine(Root, "src", "MeshLlm", "bin", Configuration, "net10.0", "mesh-llm");

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "MeshLlm.slnx")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("Cannot find the repository root (MeshLlm.slnx) above " + AppContext.BaseDirectory);
    }
}
