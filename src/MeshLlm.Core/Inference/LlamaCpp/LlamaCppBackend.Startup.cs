using System.Net.Sockets;
using System.Text.RegularExpressions;
using MeshLlm.Inference.Processes;
using Microsoft.Extensions.Logging;

namespace MeshLlm.Inference.LlamaCpp;

internal sealed partial class LlamaCppBackend
{
    private static readonly TimeSpan s_pollInterval = TimeSpan.FromMilliseconds(100);

    private async Task CheckFlagsAsync(LlamaCppBinaries binaries, bool draft, bool split, CancellationToken cancellationToken)
    {
        if (!_checked.Add(binaries.LlamaServer + "|" + binaries.RpcServer + "|" + draft + "|" + split))
        {
            return;
        }

        var version = LlamaCppFlags.Version(await CommandRunner.RunAsync(binaries.LlamaServer, ["--version"], s_probeTimeout, cancellationToken) ?? "");
        IReadOnlyList<string> serverFlags = [.. LlamaCppFlags.ServerFlags, .. draft ? LlamaCppFlags.DraftFlags : [], .. split ? LlamaCppFlags.SplitFlags : []];
        await CheckAsync(binaries.LlamaServer, version, serverFlags, cancellationToken);
        if (binaries.RpcServer is not null)
        {
            await CheckAsync(binaries.RpcServer, version, LlamaCppFlags.RpcFlags, cancellationToken);
        }

        LogFlagsChecked(binaries.LlamaServer, version);
    }

    private async Task CheckAsync(string binary, string version, IReadOnlyList<string> flags, CancellationToken cancellationToken)
    {
        var help = await CommandRunner.RunAsync(binary, ["--help"], s_probeTimeout, cancellationToken)
            ?? throw new BackendStartException($"{binary} did not answer --help within {s_probeTimeout.TotalSeconds:F0} s; is it a working llama.cpp build?");
        var missing = LlamaCppFlags.Missing(help, flags);
        if (missing.Count > 0)
        {
            _checked.Clear();
            throw new BackendStartException(
                $"{Path.GetFileName(binary)} ({version}, {binary}) does not accept {string.Join(", ", missing)}, which mesh-llm needs. " +
                "Install a newer llama.cpp, point --bin-dir at another build, or use --backend embedded.");
        }
    }

    private async Task WaitForPortAsync(ChildProcess child, int port, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var start = timeProvider.GetTimestamp();
        while (true)
        {
            ThrowIfExited(child, "while starting");
            using var client = new TcpClient();
            try
            {
                await client.ConnectAsync(System.Net.IPAddress.Loopback, port, cancellationToken);
                return;
            }
            catch (SocketException)
            {
            }

            if (timeProvider.GetElapsedTime(start) > timeout)
            {
                throw new BackendStartException($"{child.Name} did not open port {port} within {timeout.TotalSeconds:F0} s; see {child.LogPath}.") { Retryable = true };
            }

            await Task.Delay(s_pollInterval, timeProvider, cancellationToken);
        }
    }

    private async Task WaitForHealthAsync(ChildProcess child, Uri endpoint, ModelFile model, InferenceOptions o, CancellationToken cancellationToken)
    {
        var timeout = o.ReadyTimeout + o.ReadyTimeoutPerGigabyte * (model.SizeBytes / 1e9);
        var start = timeProvider.GetTimestamp();
        var nextProgress = o.ProgressInterval;
        while (true)
        {
            ThrowIfExited(child, $"while loading {model.Path}");
            if (await IsHealthyAsync(endpoint, cancellationToken))
            {
                return;
            }

            var elapsed = timeProvider.GetElapsedTime(start);
            if (elapsed > timeout)
            {
                throw new BackendStartException(
                    $"llama-server was not ready within {timeout.TotalSeconds:F0} s for {model.Name}; see {child.LogPath}. " +
                    "Raise Inference:ReadyTimeout for very large models on slow disks.") { Retryable = true };
            }

            if (elapsed >= nextProgress)
            {
                LogLoadingProgress(model.Name, elapsed.TotalSeconds, timeout.TotalSeconds);
                nextProgress += o.ProgressInterval;
            }

            await Task.Delay(s_pollInterval, timeProvider, cancellationToken);
        }
    }

    private async Task<bool> IsHealthyAsync(Uri endpoint, CancellationToken cancellationToken)
    {
        try
        {
            using var response = await _health.GetAsync(new Uri(endpoint, "health"), cancellationToken);
            return response.IsSuccessStatusCode;
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            return false;
        }
    }

    private static void ThrowIfExited(ChildProcess child, string when)
    {
        if (!child.Exited.IsCompleted)
        {
            return;
        }

        var code = child.Exited.Result;
        var reason = LogReason(child);
        throw new BackendStartException($"{child.Name} exited with code {code} {when}. {reason}")
        {
            // Killed by a signal, or lost a race for its port: worth another try. A clean error exit is not.
            Retryable = code >= 128 || reason.Contains("address already in use", StringComparison.OrdinalIgnoreCase),
        };
    }

    /// <summary>The lines of the child's log that explain a failure, or its last lines.</summary>
    private static string LogReason(ChildProcess child)
    {
        var tail = child.Tail().Select(l => LogPrefix().Replace(l, "").Trim()).Where(l => l.Length > 0).ToList();
        // The first error lines usually name the cause (e.g. "unknown model architecture"); the last says what it did.
        var telling = tail.Where(l => ErrorLine().IsMatch(l)).Distinct().ToList();
        var lines = telling.Count > 3 ? [.. telling.Take(2), telling[^1]] : telling.Count > 0 ? telling : tail.TakeLast(3).ToList();
        return lines.Count == 0
            ? $"It printed nothing (log: {child.LogPath})."
            : $"Its log says: {string.Join(" | ", lines)} (log: {child.LogPath})";
    }

    /// <summary>llama.cpp's "0.00.017.095 E " timestamp and level prefix.</summary>
    [GeneratedRegex(@"^\d+\.\d+\.\d+\.\d+ [A-Z] ", RegexOptions.CultureInvariant)]
    private static partial Regex LogPrefix();

    [GeneratedRegex(@"error|fail|unable|unknown|invalid|abort|cannot", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex ErrorLine();

    [LoggerMessage(EventId = 5211, Level = LogLevel.Information, Message = "Still loading {Model}: {ElapsedSeconds:F0} s (gives up after {TimeoutSeconds:F0} s)")]
    private partial void LogLoadingProgress(string model, double elapsedSeconds, double timeoutSeconds);

    [LoggerMessage(EventId = 5212, Level = LogLevel.Debug, Message = "{Binary} ({Version}) accepts every flag mesh-llm uses")]
    private partial void LogFlagsChecked(string binary, string version);
}
