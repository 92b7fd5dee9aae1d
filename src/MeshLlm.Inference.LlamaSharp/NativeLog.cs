using LLama.Native;
using Microsoft.Extensions.Logging;

namespace MeshLlm.Inference.LlamaSharp;

/// <summary>
/// The one place that touches LLamaSharp's static native configuration: bridges llama.cpp's log into
/// <see cref="ILogger"/> (debug level, it is chatty) and remembers the last error line for user messages.
/// </summary>
internal sealed class NativeLog
{
    private static readonly Lock s_lock = new();
    private static NativeLog? s_instance;
    private readonly ILogger _logger;
    private string? _lastError;

    private NativeLog(ILogger logger) => _logger = logger;

    /// <summary>The last error or warning llama.cpp printed, trimmed.</summary>
    public string? LastError => Volatile.Read(ref _lastError);

    public static NativeLog Install(ILoggerFactory loggerFactory)
    {
        lock (s_lock)
        {
            if (s_instance is null)
            {
                var log = new NativeLog(loggerFactory.CreateLogger("MeshLlm.Inference.LlamaSharp.Native"));
                NativeLibraryConfig.All.WithLogCallback(log.OnLog);
                s_instance = log;
            }

            return s_instance;
        }
    }

    private void OnLog(LLamaLogLevel level, string message)
    {
        message = message.TrimEnd();
        if (message.Length == 0)
        {
            return;
        }

        if (level is LLamaLogLevel.Error or LLamaLogLevel.Warning)
        {
            Volatile.Write(ref _lastError, message);
        }

#pragma warning disable CA2254 // Native text is the message; it has no template.
        _logger.Log(level == LLamaLogLevel.Error ? LogLevel.Warning : LogLevel.Debug, message);
#pragma warning restore CA2254
    }
}
