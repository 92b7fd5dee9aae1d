using System.Collections.Concurrent;
using System.Globalization;
using Microsoft.Extensions.Logging;

namespace MeshLlm.Inference.Processes;

/// <summary>
/// Records every child we start in <c>$MESH_LLM_HOME/run/NAME-PID.pid</c> (its PID and start time, and ours),
/// kills live children when this process exits for any reason, and at start kills leftovers of a crashed run:
/// only a child whose owner is gone and whose PID and start time both match the record, so neither an
/// unrelated process nor the child of another live node sharing this home is ever touched.
/// </summary>
public sealed partial class ChildProcessRegistry
{
    private static readonly int s_self = Environment.ProcessId;
    private static readonly long? s_selfStart = PosixProcess.StartTime(Environment.ProcessId);
    private readonly ConcurrentDictionary<int, string> _live = new();
    private readonly ILogger<ChildProcessRegistry> _logger;

    public ChildProcessRegistry(ILogger<ChildProcessRegistry> logger)
    {
        _logger = logger;
        RunDirectory = Path.Combine(MeshHome.Path, "run");
        LogDirectory = Path.Combine(MeshHome.Path, "logs");
        AppDomain.CurrentDomain.ProcessExit += (_, _) => KillAll();
        AppDomain.CurrentDomain.UnhandledException += (_, _) => KillAll();
    }

    public string RunDirectory { get; }

    public string LogDirectory { get; }

    /// <summary>Records a started child.</summary>
    public void Add(string name, int pid)
    {
        Directory.CreateDirectory(RunDirectory);
        var file = PidFile(name, pid);
        File.WriteAllText(file + ".tmp", string.Join(' ', pid, Number(PosixProcess.StartTime(pid)), s_self, Number(s_selfStart)) + "\n");
        File.Move(file + ".tmp", file, overwrite: true);
        _live[pid] = file;
    }

    /// <summary>Forgets a child that has exited or been stopped.</summary>
    public void Remove(int pid)
    {
        if (_live.TryRemove(pid, out var file))
        {
            File.Delete(file);
        }
    }

    /// <summary>Kills children left by an earlier run of this home that crashed; returns how many.</summary>
    public int CleanStale()
    {
        if (!Directory.Exists(RunDirectory))
        {
            return 0;
        }

        var killed = 0;
        foreach (var file in Directory.EnumerateFiles(RunDirectory, "*.pid"))
        {
            if (!TryRead(file, out var record) || _live.ContainsKey(record.Pid))
            {
                continue;
            }

            if (record.OwnerStart != 0 && PosixProcess.StartTime(record.OwnerPid) == record.OwnerStart)
            {
                continue; // another live node using this home owns it
            }

            if (record.Start != 0 && PosixProcess.StartTime(record.Pid) == record.Start && PosixProcess.Signal(record.Pid, PosixProcess.SigKill))
            {
                LogKilledStale(Path.GetFileNameWithoutExtension(file), record.Pid);
                killed++;
            }

            File.Delete(file);
        }

        return killed;
    }

    private void KillAll()
    {
        foreach (var (pid, file) in _live)
        {
            PosixProcess.Signal(pid, PosixProcess.SigKill);
            File.Delete(file);
        }

        _live.Clear();
    }

    private string PidFile(string name, int pid) => Path.Combine(RunDirectory, $"{name}-{pid}.pid");

    private static string Number(long? value) => (value ?? 0).ToString(CultureInfo.InvariantCulture);

    /// <summary>Reads "PID START [OWNER-PID OWNER-START]"; a record without an owner is treated as orphaned.</summary>
    private static bool TryRead(string file, out PidRecord record)
    {
        record = default;
        var numbers = File.ReadAllText(file).Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(part => long.TryParse(part, CultureInfo.InvariantCulture, out var n) ? n : -1).ToArray();
        if (numbers.Length is not (2 or 4) || numbers.Any(n => n < 0) || numbers[0] > int.MaxValue)
        {
            return false;
        }

        record = new PidRecord((int)numbers[0], numbers[1], numbers.Length == 4 ? (int)Math.Min(numbers[2], int.MaxValue) : 0, numbers.Length == 4 ? numbers[3] : 0);
        return true;
    }

    private readonly record struct PidRecord(int Pid, long Start, int OwnerPid, long OwnerStart);

    [LoggerMessage(EventId = 5200, Level = LogLevel.Warning, Message = "Killed {Name} (PID {Pid}) left running by an earlier run that crashed")]
    private partial void LogKilledStale(string name, int pid);
}
