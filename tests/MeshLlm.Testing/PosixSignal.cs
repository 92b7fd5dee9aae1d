using System.Runtime.InteropServices;

namespace MeshLlm.Testing;

/// <summary>Sends a signal to one process by PID (never by name).</summary>
public static partial class PosixSignal
{
    public const int SigInt = 2;
    public const int SigKill = 9;
    public const int SigTerm = 15;

    public static void Send(int pid, int signal)
    {
        if (Kill(pid, signal) != 0)
        {
            throw new InvalidOperationException($"kill({pid}, {signal}) failed: errno {Marshal.GetLastPInvokeError()}");
        }
    }

    /// <summary>
    /// True when a process with this PID exists and is not a zombie (signal 0 probes without sending). Orphans
    /// killed after their parent died are reparented to PID 1, which in some containers never reaps them.
    /// </summary>
    public static bool IsAlive(int pid) => Kill(pid, 0) == 0 && !IsZombie(pid);

    private static bool IsZombie(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            // State is the first field after the parenthesised command name.
            return stat[(stat.LastIndexOf(')') + 2)..].StartsWith('Z');
        }
        catch (IOException)
        {
            return false;
        }
    }

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);
}
