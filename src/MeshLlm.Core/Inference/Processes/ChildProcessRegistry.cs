using System.Collections.Concurrent;
using System.Globalization;
using Microsoft.Extensions.Logging;

namespace MeshLlm.Inference.Processes;

/// <summary>
/// Records every child we start in <c>$MESH_LLM_HOME/run/NAME-PID.pid</c> (PID and start time), kills live
/// children when this process exits for any reason, and at start kills leftovers of a crashed run: only
/// processes whose PID and start time both match what we recorded, so an unrelated process is never touched.
/// </summary>
public sealed partial class ChildProcessRegistry
{
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
        var start = PosixProcess.StartTime(pid);
        var file = PidFile(name, pid);
        File.WriteAllText(file + ".tmp", $"{pid} {start?.ToString(CultureInfo.InvariantCulture) ?? "0"}\n");
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
            if (TryRead(file, out var pid, out var start) && !_live.ContainsKey(pid)
                && start != 0 && PosixProcess.StartTime(pid) == start && PosixProcess.Signal(pid, PosixProcess.SigKill))
            {
                LogKilledStale(Path.GetFileNameWithoutExtension(file), pid);
                killed++;
            }

            if (!_live.Values.Contains(file))
            {
                File.Delete(file);
            }
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

    private static bool TryRead(string file, out int pid, out long start)
    {
        pid = 0;
        start = 0;
        var parts = File.ReadAllText(file).Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return parts.Length == 2
            && int.TryParse(parts[0], CultureInfo.InvariantCulture, out pid)
            && long.TryParse(parts[1], CultureInfo.InvariantCulture, out start);
    }

    [LoggerMessage(EventId = 5200, Level = LogLevel.Warning, Message = "Killed {Name} (PID {Pid}) left running by an earlier run that crashed")]
    private partial void LogKilledStale(string name, int pid);
}
