using System.Diagnostics;

namespace MeshLlm.Testing;

/// <summary>
/// The real <c>mesh-llm</c> executable as a child process with its own home, JSON logs on stderr, and
/// waits on log events (never on sleeps).
/// </summary>
public sealed class MeshLlmProcess : IAsyncDisposable
{
    /// <summary>Long timeout for things that must happen.</summary>
    public static readonly TimeSpan TimeoutLong = TimeSpan.FromSeconds(60);

    private readonly Process _process;
    private readonly List<string> _stdout = [];
    private readonly List<string> _stderr = [];
    private readonly List<LogEvent> _events = [];
    private readonly Lock _lock = new();
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private MeshLlmProcess(Process process, string home)
    {
        _process = process;
        Home = home;
    }

    public string Home { get; }

    public int Pid => _process.Id;

    public bool HasExited => _process.HasExited;

    public string Stdout { get { lock (_lock) return string.Join('\n', _stdout); } }

    public string Stderr { get { lock (_lock) return string.Join('\n', _stderr); } }

    /// <summary>
    /// Starts mesh-llm with the given arguments plus <c>--log-format json</c>, and <c>--console 0</c> unless the
    /// arguments choose the console (so no test depends on port 3131 being free).
    /// </summary>
    /// <remarks><paramref name="prefix"/> runs the executable through another program, e.g. <c>ip netns exec NS</c>.</remarks>
    public static MeshLlmProcess Start(IEnumerable<string> args, IReadOnlyDictionary<string, string?>? environment = null, string? home = null, IReadOnlyList<string>? prefix = null)
    {
        home ??= Directory.CreateTempSubdirectory("mesh-llm-home-").FullName;
        var list = args.ToList();
        if (!list.Contains("--console") && !list.Contains("--no-console"))
        {
            list.AddRange(["--console", "0"]);
        }

        var info = StartInfo([.. list, "--log-format", "json"], environment, home);
        if (prefix is { Count: > 0 })
        {
            var wrapped = info.ArgumentList.ToList();
            info.FileName = prefix[0];
            info.ArgumentList.Clear();
            foreach (var arg in prefix.Skip(1).Append(RepoPaths.Executable).Concat(wrapped))
            {
                info.ArgumentList.Add(arg);
            }
        }

        info.RedirectStandardInput = true;
        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        var result = new MeshLlmProcess(process, home);
        process.OutputDataReceived += (_, e) => result.OnLine(e.Data, stderr: false);
        process.ErrorDataReceived += (_, e) => result.OnLine(e.Data, stderr: true);
        process.Exited += (_, _) => result.Signal();
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return result;
    }

    /// <summary>
    /// Runs a one-shot command (<c>token</c>, <c>status</c>, <c>rotate-key</c>...) with <paramref name="home"/> as
    /// <c>MESH_LLM_HOME</c> and returns its exit code and output.
    /// </summary>
    public static async Task<(int Code, string Stdout, string Stderr)> RunAsync(
        IEnumerable<string> args, string home, IReadOnlyDictionary<string, string?>? environment = null, TimeSpan? timeout = null)
    {
        using var process = new Process { StartInfo = StartInfo(args, environment, home) };
        process.Start();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(timeout ?? TimeoutLong);
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"mesh-llm {string.Join(' ', args)} did not exit within {timeout ?? TimeoutLong}.");
        }

        return (process.ExitCode, (await stdout).TrimEnd(), (await stderr).TrimEnd());
    }

    private static ProcessStartInfo StartInfo(IEnumerable<string> args, IReadOnlyDictionary<string, string?>? environment, string home)
    {
        var info = new ProcessStartInfo(RepoPaths.Executable)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        info.Environment["MESH_LLM_HOME"] = home;
        foreach (var (key, value) in environment ?? new Dictionary<string, string?>())
        {
            // A null value removes the variable from the child's environment.
            if (value is null)
            {
                info.Environment.Remove(key);
            }
            else
            {
                info.Environment[key] = value;
            }
        }

        return info;
    }

    /// <summary>Every log event with this id seen so far.</summary>
    public IReadOnlyList<LogEvent> Events(int eventId)
    {
        lock (_lock)
        {
            return _events.Where(e => e.EventId == eventId).ToList();
        }
    }

    /// <summary>Waits until <paramref name="count"/> events with this id have been logged; returns the last.</summary>
    public async Task<LogEvent> WaitForEventCountAsync(int eventId, int count, TimeSpan? timeout = null)
    {
        return await WaitForEventAsync(eventId, timeout, match: null, skip: count - 1);
    }

    /// <summary>Waits for a log event; fails with the process output if it exits or the time runs out.</summary>
    public async Task<LogEvent> WaitForEventAsync(int eventId, TimeSpan? timeout = null, Func<LogEvent, bool>? match = null, int skip = 0)
    {
        using var cts = new CancellationTokenSource(timeout ?? TimeoutLong);
        while (true)
        {
            Task changed;
            lock (_lock)
            {
                var found = _events.Where(e => e.EventId == eventId && (match?.Invoke(e) ?? true)).Skip(skip).FirstOrDefault();
                if (found is not null)
                {
                    return found;
                }

                changed = _changed.Task;
            }

            if (_process.HasExited)
            {
                await _process.WaitForExitAsync(CancellationToken.None);
                throw new InvalidOperationException(
                    $"mesh-llm exited ({_process.ExitCode}) before log event {eventId}.\nstdout:\n{Stdout}\nstderr:\n{Stderr}");
            }

            try
            {
                await changed.WaitAsync(cts.Token);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"No log event {eventId} within {timeout ?? TimeoutLong}.\nstdout:\n{Stdout}\nstderr:\n{Stderr}");
            }
        }
    }

    /// <summary>The API's base address, from the "API listening" event.</summary>
    public async Task<Uri> WaitForApiAsync() => new((await WaitForEventAsync(8500)).Get("Url")! + "/");

    /// <summary>The console's base address, from the "Console listening" event.</summary>
    public async Task<Uri> WaitForConsoleAsync() => new((await WaitForEventAsync(8501)).Get("Url")! + "/");

    /// <summary>Waits until the mesh has started or joined ("Mesh ready") and returns the event.</summary>
    public Task<LogEvent> WaitForMeshAsync(TimeSpan? timeout = null) => WaitForEventAsync(8502, timeout);

    /// <summary>The invite token the node printed on stdout (it is never logged: it holds the join secret).</summary>
    public async Task<string> WaitForTokenAsync(TimeSpan? timeout = null) =>
        (await WaitForStdoutAsync(l => l.StartsWith(TokenPrefix, StringComparison.Ordinal), timeout))[TokenPrefix.Length..];

    private const string TokenPrefix = "Invite token: ";

    /// <summary>Waits for a stdout line matching <paramref name="match"/>; fails with the output if the process exits first.</summary>
    public async Task<string> WaitForStdoutAsync(Func<string, bool> match, TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? TimeoutLong);
        while (true)
        {
            Task changed;
            lock (_lock)
            {
                if (_stdout.FirstOrDefault(match) is { } found)
                {
                    return found;
                }

                changed = _changed.Task;
            }

            if (_process.HasExited)
            {
                await _process.WaitForExitAsync(CancellationToken.None);
                throw new InvalidOperationException($"mesh-llm exited ({_process.ExitCode}) before the expected stdout line.\nstdout:\n{Stdout}\nstderr:\n{Stderr}");
            }

            try
            {
                await changed.WaitAsync(cts.Token);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"No matching stdout line within {timeout ?? TimeoutLong}.\nstdout:\n{Stdout}\nstderr:\n{Stderr}");
            }
        }
    }

    /// <summary>Waits until the model is ready and returns the engine's own endpoint.</summary>
    public async Task<Uri> WaitForReadyAsync() => new((await WaitForEventAsync(5001)).Get("Endpoint")!);

    /// <summary>Waits for the process to exit and returns its exit code.</summary>
    public async Task<int> WaitForExitAsync(TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? TimeoutLong);
        try
        {
            await _process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"mesh-llm did not exit within {timeout ?? TimeoutLong}.\nstdout:\n{Stdout}\nstderr:\n{Stderr}");
        }

        return _process.ExitCode;
    }

    public void Signal(int signal) => PosixSignal.Send(_process.Id, signal);

    private void OnLine(string? line, bool stderr)
    {
        if (line is null)
        {
            return;
        }

        lock (_lock)
        {
            (stderr ? _stderr : _stdout).Add(line);
            if (stderr && LogEvent.TryParse(line) is { } e)
            {
                _events.Add(e);
            }
        }

        Signal();
    }

    private void Signal()
    {
        TaskCompletionSource previous;
        lock (_lock)
        {
            previous = _changed;
            _changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        previous.TrySetResult();
    }

    private int _disposed;

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync(CancellationToken.None);
        }

        _process.Dispose();
        try
        {
            Directory.Delete(Home, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
