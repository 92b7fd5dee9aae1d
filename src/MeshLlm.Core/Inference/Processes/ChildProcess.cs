using System.Diagnostics;
using Microsoft.Extensions.Logging;

namespace MeshLlm.Inference.Processes;

/// <summary>
/// One child process we own: started with an argument list (never through a shell), its output appended to
/// its own log file, its PID recorded, its exit observed, and stopped by PID (SIGTERM, then SIGKILL).
/// </summary>
public sealed partial class ChildProcess : IAsyncDisposable
{
    private const int TailLines = 40;
    private static readonly TimeSpan s_procPollInterval = TimeSpan.FromMilliseconds(500);
    private readonly Process _process;
    private readonly StreamWriter _log;
    private readonly Queue<string> _tail = new();
    private readonly Lock _lock = new();
    private readonly ChildProcessRegistry _registry;
    private readonly ILogger _logger;
    private readonly TaskCompletionSource<int> _exited = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CancellationTokenSource _watchStop = new();
    private Task _watch = Task.CompletedTask;
    private long? _startTime;
    private int _outputStreamsOpen = 2;
    private bool _exitSeen;
    private bool _disposed;

    private ChildProcess(string name, Process process, StreamWriter log, string logPath, ChildProcessRegistry registry, ILogger logger)
    {
        Name = name;
        _process = process;
        _log = log;
        LogPath = logPath;
        _registry = registry;
        _logger = logger;
    }

    public string Name { get; }

    public int Pid { get; private set; }

    public string LogPath { get; }

    /// <summary>Completes with the exit code (128 + signal when killed by a signal) once the process and its output ended.</summary>
    public Task<int> Exited => _exited.Task;

    public static ChildProcess Start(string name, string fileName, IReadOnlyList<string> arguments, ChildProcessRegistry registry, TimeProvider timeProvider, ILogger logger)
    {
        Directory.CreateDirectory(registry.LogDirectory);
        var logPath = Path.Combine(registry.LogDirectory, name + ".log");
        var log = new StreamWriter(new FileStream(logPath, FileMode.Append, FileAccess.Write, FileShare.ReadWrite)) { AutoFlush = true };
        log.WriteLine($"---- {fileName} {string.Join(' ', arguments)}");
        var process = new Process { StartInfo = CommandRunner.StartInfo(fileName, arguments), EnableRaisingEvents = true };
        var child = new ChildProcess(name, process, log, logPath, registry, logger);
        process.OutputDataReceived += (_, e) => child.OnOutput(e.Data);
        process.ErrorDataReceived += (_, e) => child.OnOutput(e.Data);
        process.Exited += (_, _) => child.OnExited();
        try
        {
            process.Start();
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            log.Dispose();
            throw new BackendStartException($"Cannot start {fileName}: {e.Message}.", e);
        }

        child.Pid = process.Id;
        registry.Add(name, child.Pid);
        child._startTime = PosixProcess.StartTime(child.Pid);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        child._watch = child.WatchProcAsync(timeProvider);
        child.LogStarted(name, child.Pid, logPath);
        return child;
    }

    /// <summary>The last lines the child printed, oldest first.</summary>
    public IReadOnlyList<string> Tail()
    {
        lock (_lock)
        {
            return [.. _tail];
        }
    }

    /// <summary>Stops the process: SIGTERM, then SIGKILL after <paramref name="grace"/>.</summary>
    public async Task StopAsync(TimeSpan grace, TimeProvider timeProvider)
    {
        if (!_exited.Task.IsCompleted && PosixProcess.Signal(Pid, PosixProcess.SigTerm))
        {
            try
            {
                await _exited.Task.WaitAsync(grace, timeProvider);
            }
            catch (TimeoutException)
            {
                LogForced(Name, Pid, grace.TotalSeconds);
                PosixProcess.Signal(Pid, PosixProcess.SigKill);
            }
        }

        await _exited.Task;
    }

    private void OnOutput(string? line)
    {
        if (line is null)
        {
            // End of one output stream; the process is complete once both ended and it exited.
            if (Interlocked.Decrement(ref _outputStreamsOpen) == 0)
            {
                TryComplete();
            }

            return;
        }

        lock (_lock)
        {
            if (_disposed)
            {
                return;
            }

            _log.WriteLine(line);
            _tail.Enqueue(line);
            if (_tail.Count > TailLines)
            {
                _tail.Dequeue();
            }
        }

        LogOutput(Name, line);
    }

    /// <summary>
    /// Second source of truth for the exit: .NET's exit and end-of-output notifications were seen to go missing
    /// for a child killed during shutdown (the PID already reaped), which would hang a stop forever. So /proc is
    /// polled too; a PID that is gone, or now belongs to another process, completes <see cref="Exited"/>.
    /// </summary>
    private async Task WatchProcAsync(TimeProvider timeProvider)
    {
        using var timer = new PeriodicTimer(s_procPollInterval, timeProvider);
        try
        {
            while (await timer.WaitForNextTickAsync(_watchStop.Token) && !_exited.Task.IsCompleted)
            {
                if (PosixProcess.StartTime(Pid) != _startTime)
                {
                    CompleteFromProc();
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    // Process events arrive on pool threads, possibly while .NET holds its own process locks: these handlers
    // only set flags and never call into Process while holding _lock (a lock-order inversion hung shutdowns).
    private void OnExited()
    {
        Volatile.Write(ref _exitSeen, true);
        TryComplete();
    }

    private void TryComplete()
    {
        if (!_exited.Task.IsCompleted && Volatile.Read(ref _exitSeen) && Volatile.Read(ref _outputStreamsOpen) == 0)
        {
            Complete(SafeExitCode(), "exited");
        }
    }

    private void CompleteFromProc() => Complete(Volatile.Read(ref _exitSeen) ? SafeExitCode() : 128 + PosixProcess.SigKill, "is gone");

    private int SafeExitCode()
    {
        try
        {
            return _process.ExitCode;
        }
        catch (InvalidOperationException)
        {
            return 128 + PosixProcess.SigKill;
        }
    }

    private void Complete(int code, string how)
    {
        lock (_lock)
        {
            if (_exited.Task.IsCompleted || _disposed)
            {
                return;
            }

            _log.WriteLine($"---- {how} (code {code})");
        }

        _registry.Remove(Pid);
        _exited.TrySetResult(code);
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync(TimeSpan.FromSeconds(5), TimeProvider.System);
        await _watchStop.CancelAsync();
        await _watch;
        _watchStop.Dispose();
        lock (_lock)
        {
            _disposed = true;
            _log.Dispose();
        }

        _process.Dispose();
    }

    [LoggerMessage(EventId = 5201, Level = LogLevel.Information, Message = "Started {Name} (PID {Pid}), log {LogPath}")]
    private partial void LogStarted(string name, int pid, string logPath);

    [LoggerMessage(EventId = 5202, Level = LogLevel.Warning, Message = "{Name} (PID {Pid}) ignored SIGTERM for {GraceSeconds} s; killed")]
    private partial void LogForced(string name, int pid, double graceSeconds);

    [LoggerMessage(EventId = 5203, Level = LogLevel.Trace, Message = "{Name}: {Line}")]
    private partial void LogOutput(string name, string line);
}
