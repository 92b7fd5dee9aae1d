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
    public const int Unexpected = 70;
}
