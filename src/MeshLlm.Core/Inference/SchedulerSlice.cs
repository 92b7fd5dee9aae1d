using System.Runtime.InteropServices;

namespace MeshLlm.Inference;

/// <summary>
/// The Linux scheduler slice of a thread (EEVDF, kernel 6.12+: <c>sched_attr.sched_runtime</c> of a normal thread).
/// </summary>
/// <remarks>
/// A thread that wakes up preempts the running one at once only when its slice is shorter; otherwise it waits until
/// the running thread's slice is used up, which the kernel notices at the next tick (4 ms at HZ=250). An engine's
/// compute threads never sleep, so every hop of a request on its way through the API, a tunnel or the mesh used to
/// wait up to a tick whenever it landed on a core they held: 3-5 ms per tunnelled request on 2 cores
/// (docs/BENCHMARKS.md). Compute threads take a long slice; everything else keeps the default and preempts them.
/// Fairness does not change: the slice sets when a thread is interrupted, not how much CPU it gets.
/// </remarks>
internal static partial class SchedulerSlice
{
    /// <summary>The slice engine compute threads ask for: well above the default (0.75-3 ms), far below the cap (100 ms).</summary>
    public static readonly TimeSpan Compute = TimeSpan.FromMilliseconds(10);

    private const uint SchedOther = 0;
    private const uint SchedBatch = 3;

    /// <summary>
    /// Gives the calling thread, and the threads it creates from now on (llama.cpp's OpenMP workers), a slice of
    /// <paramref name="slice"/>. Returns null when the kernel took it, else why not (nothing changed then).
    /// </summary>
    public static string? TrySetForCurrentThread(TimeSpan slice)
    {
        if (Calls() is not { } calls)
        {
            return $"not supported on {RuntimeInformation.OSDescription} ({RuntimeInformation.ProcessArchitecture})";
        }

        if (Read(calls.Get, 0) is not { } current)
        {
            return $"sched_getattr failed (errno {Marshal.GetLastPInvokeError()})";
        }

        if (current.Policy is not (SchedOther or SchedBatch))
        {
            return $"the thread's scheduling policy is {current.Policy}, not SCHED_OTHER or SCHED_BATCH; left as it is";
        }

        // Keep the policy, nice value and flags; change only the slice.
        var wanted = current with { Runtime = (ulong)(slice.Ticks * 100) };
        if (SetAttr(calls.Set, 0, ref wanted, 0) != 0)
        {
            return $"sched_setattr failed (errno {Marshal.GetLastPInvokeError()})";
        }

        return Get(0) == slice ? null : "the kernel ignores per-thread slices (Linux 6.12 or later has them)";
    }

    /// <summary>The slice of thread <paramref name="tid"/> (0: the calling thread): the kernel's default unless one was set; zero on kernels without per-thread slices; null when unknown.</summary>
    public static TimeSpan? Get(int tid) =>
        Calls() is { } calls && Read(calls.Get, tid) is { } attr ? TimeSpan.FromTicks((long)(attr.Runtime / 100)) : null;

    private static SchedAttr? Read(long get, int tid)
    {
        var attr = default(SchedAttr);
        return GetAttr(get, tid, ref attr, (uint)Marshal.SizeOf<SchedAttr>(), 0) == 0 ? attr : null;
    }

    /// <summary>The syscall numbers of sched_setattr and sched_getattr (no libc wrapper exists).</summary>
    private static (long Set, long Get)? Calls() => !OperatingSystem.IsLinux() ? null : RuntimeInformation.ProcessArchitecture switch
    {
        Architecture.X64 => (314, 315),
        Architecture.Arm64 => (274, 275),
        _ => null,
    };

    [StructLayout(LayoutKind.Sequential)]
    private record struct SchedAttr(
        uint Size, uint Policy, ulong Flags, int Nice, uint Priority, ulong Runtime, ulong Deadline, ulong Period, uint UtilMin, uint UtilMax);

    [LibraryImport("libc", EntryPoint = "syscall", SetLastError = true)]
    private static partial int SetAttr(long number, int tid, ref SchedAttr attr, uint flags);

    [LibraryImport("libc", EntryPoint = "syscall", SetLastError = true)]
    private static partial int GetAttr(long number, int tid, ref SchedAttr attr, uint size, uint flags);
}
