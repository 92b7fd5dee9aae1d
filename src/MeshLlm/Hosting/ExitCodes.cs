namespace MeshLlm.Hosting;

/// <summary>Process exit codes; never renumbered.</summary>
internal static class ExitCodes
{
    public const int Ok = 0;
    public const int Usage = 1;
    public const int ConfigInvalid = 2;
    public const int PortInUse = 3;
    public const int ModelInvalid = 4;
    public const int BackendMissing = 5;
    public const int BackendFailed = 6;

    /// <summary>Every <c>--join</c> token's node refused this node (wrong join secret or key): retrying cannot help.</summary>
    public const int JoinRefused = 7;

    /// <summary><c>status</c> or <c>token</c> found no running node on the console port.</summary>
    public const int NodeNotRunning = 8;

    /// <summary><c>discover --auto</c> found no mesh to join.</summary>
    public const int NoMeshFound = 9;

    public const int Unexpected = 70;
}
