namespace MeshLlm;

/// <summary>The node's home folder: <c>MESH_LLM_HOME</c>, else <c>~/.mesh-llm</c>.</summary>
public static class MeshHome
{
    public static string Path
    {
        get
        {
            var home = Environment.GetEnvironmentVariable("MESH_LLM_HOME");
            return string.IsNullOrWhiteSpace(home)
                ? System.IO.Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".mesh-llm")
                : System.IO.Path.GetFullPath(home);
        }
    }
}
