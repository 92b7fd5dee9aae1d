using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace MeshLlm.Bench;

/// <summary>
/// A logger factory that only counts events by name (never formats them, so it costs about what the null logger
/// does) and keeps the first few warning-or-worse messages: it shows what the mesh did while being measured.
/// </summary>
internal sealed class EventCounter : ILoggerFactory, ILogger
{
    private readonly ConcurrentDictionary<string, int> _counts = new();
    private readonly ConcurrentQueue<string> _samples = new();
    private volatile bool _recording;

    /// <summary>Counts only while true (shutdown between sizes makes its own noise).</summary>
    public bool Recording
    {
        get => _recording;
        set => _recording = value;
    }

    public IReadOnlyDictionary<string, int> Counts => _counts;

    public IEnumerable<string> Samples => _samples;

    private long _since = System.Diagnostics.Stopwatch.GetTimestamp();

    public void Reset()
    {
        _since = System.Diagnostics.Stopwatch.GetTimestamp();
        _counts.Clear();
        _samples.Clear();
    }

    public ILogger CreateLogger(string categoryName) => this;

    public void AddProvider(ILoggerProvider provider)
    {
    }

    public void Dispose()
    {
    }

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => _recording;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        if (!_recording)
        {
            return;
        }

        var name = eventId.Name ?? eventId.Id.ToString(System.Globalization.CultureInfo.InvariantCulture);
        _counts.AddOrUpdate(name, 1, (_, n) => n + 1);
        if (logLevel >= LogLevel.Warning && _samples.Count < 20)
        {
            _samples.Enqueue($"{System.Diagnostics.Stopwatch.GetElapsedTime(_since).TotalSeconds:F3} s {logLevel}: {formatter(state, exception)}{(exception is null ? "" : " " + exception.GetType().Name + ": " + exception.Message)}");
        }
    }
}
