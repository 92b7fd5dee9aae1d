using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace MeshLlm.MeshTests;

/// <summary>Keeps every node's log lines (tagged with the node's name) so a failing wait can show what happened.</summary>
internal sealed class LogCapture
{
    private readonly ConcurrentQueue<string> _lines = new();

    public ILoggerFactory For(string node) => new Factory(this, node);

    public string Tail(int count) => string.Join("\n", _lines.TakeLast(count));

    public IReadOnlyList<string> Lines => [.. _lines];

    private sealed class Factory(LogCapture capture, string node) : ILoggerFactory
    {
        public ILogger CreateLogger(string categoryName) => new Logger(capture, node, categoryName[(categoryName.LastIndexOf('.') + 1)..]);

        public void AddProvider(ILoggerProvider provider)
        {
        }

        public void Dispose()
        {
        }
    }

    private sealed class Logger(LogCapture capture, string node, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            capture._lines.Enqueue($"{DateTimeOffset.UtcNow:HH:mm:ss.fff} {node} {category} {logLevel}: {formatter(state, exception)}");
            if (capture._lines.Count > 20_000)
            {
                capture._lines.TryDequeue(out _);
            }
        }
    }
}
