using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using Microsoft.Extensions.Logging;

namespace MeshLlm.Models;

/// <summary>One file to download: where from, where to, and what it must be (size and SHA-256 when known).</summary>
public sealed record DownloadPart(Uri Url, string Destination, long? ExpectedBytes = null, string? Sha256 = null);

/// <summary>Where one file of a download stands.</summary>
public sealed record DownloadProgress(string File, long Done, long? Total, double BytesPerSecond, TimeSpan? Eta, int PartIndex, int PartCount);

/// <summary>A download that cannot complete; the message is one line for the user.</summary>
public sealed class DownloadException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>Retries, back-off and parallelism of <see cref="ModelDownloader"/>.</summary>
public sealed record DownloadOptions
{
    /// <summary>Tries per file before giving up on transient failures (5xx, dropped connections). Default 6.</summary>
    public int MaxAttempts { get; init; } = 6;

    /// <summary>Wait before the first retry; doubles per retry, capped at <see cref="MaxRetryDelay"/>. Default 1 s.</summary>
    public TimeSpan FirstRetryDelay { get; init; } = TimeSpan.FromSeconds(1);

    public TimeSpan MaxRetryDelay { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Split parts downloaded at once. Default 4.</summary>
    public int ParallelParts { get; init; } = 4;

    /// <summary>How often a waiting download checks whether another one released the file's lock. Default 500 ms.</summary>
    public TimeSpan LockPollInterval { get; init; } = TimeSpan.FromMilliseconds(500);

    /// <summary>
    /// A Hugging Face token (<c>HF_TOKEN</c>) for gated models; sent only to the host of the file's own URL, never to
    /// the storage host it redirects to.
    /// </summary>
    public string? BearerToken { get; init; }
}

/// <summary>
/// Downloads model files robustly: into <c>FILE.part</c>, resumed with <c>Range</c> after a drop (a server that
/// ignores the range restarts the file cleanly instead of corrupting it), retried with exponential back-off on
/// transient failures, checked for size and SHA-256 (given, or the hub's <c>X-Linked-Etag</c>) before the rename to
/// <c>FILE</c>, refused before writing when the disk lacks space, and locked (<c>FILE.lock</c>) so two downloads never
/// write the same file: the second waits, then finds it complete. Redirects are followed here, not by the handler
/// (give it an <see cref="HttpClient"/> made with <see cref="CreateHttpClient"/>), because the hub puts the file's
/// SHA-256 on its redirect to storage, which an automatically followed redirect hides.
/// </summary>
public sealed partial class ModelDownloader(HttpClient http, TimeProvider time, ILogger<ModelDownloader> logger)
{
    private const int BufferBytes = 1 << 20;
    private static readonly TimeSpan s_progressInterval = TimeSpan.FromMilliseconds(200);

    private const int MaxRedirects = 10;

    public DownloadOptions Options { get; init; } = new();

    /// <summary>An <see cref="HttpClient"/> for downloads: no automatic redirects, no overall timeout (files are large).</summary>
    public static HttpClient CreateHttpClient() =>
        new(new SocketsHttpHandler { AllowAutoRedirect = false, ConnectTimeout = TimeSpan.FromSeconds(30) }) { Timeout = Timeout.InfiniteTimeSpan };

    /// <summary>The URL of <paramref name="path"/> in the Hugging Face repo <paramref name="repo"/> (<c>HF_ENDPOINT</c> overrides the hub).</summary>
    public static Uri HubUrl(string repo, string path, string branch = "main", string? endpoint = null)
    {
        endpoint ??= Environment.GetEnvironmentVariable("HF_ENDPOINT") is { Length: > 0 } e ? e : "https://huggingface.co";
        var escaped = string.Join('/', path.Split('/').Select(Uri.EscapeDataString));
        return new Uri($"{endpoint.TrimEnd('/')}/{repo}/resolve/{Uri.EscapeDataString(branch)}/{escaped}");
    }

    /// <summary>Downloads every part (up to <see cref="DownloadOptions.ParallelParts"/> at once); returns when all are complete and verified.</summary>
    /// <exception cref="DownloadException">A part could not be downloaded; the message says why.</exception>
    public async Task DownloadAsync(IReadOnlyList<DownloadPart> parts, IProgress<DownloadProgress>? progress, CancellationToken cancellationToken)
    {
        using var gate = new SemaphoreSlim(Math.Max(1, Options.ParallelParts));
        await Task.WhenAll(parts.Select(async (part, index) =>
        {
            await gate.WaitAsync(cancellationToken);
            try
            {
                await DownloadFileAsync(part, index, parts.Count, progress, cancellationToken);
            }
            finally
            {
                gate.Release();
            }
        }));
    }

    private async Task DownloadFileAsync(DownloadPart part, int index, int count, IProgress<DownloadProgress>? progress, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(part.Destination))!);
        await using var fileLock = await LockAsync(part, cancellationToken);
        if (await IsCompleteAsync(part, cancellationToken))
        {
            LogAlreadyThere(part.Destination);
            progress?.Report(new DownloadProgress(Path.GetFileName(part.Destination), new FileInfo(part.Destination).Length, new FileInfo(part.Destination).Length, 0, TimeSpan.Zero, index, count));
            return;
        }

        var partial = part.Destination + ".part";
        var state = new Transfer(part, partial, index, count, progress, time);
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await TransferAsync(state, cancellationToken);
                break;
            }
            catch (Exception e) when (IsTransient(e) && !cancellationToken.IsCancellationRequested)
            {
                if (attempt >= Options.MaxAttempts)
                {
                    throw new DownloadException($"Downloading {part.Url} failed {attempt} times; last: {Reason(e)}. Run the command again to resume.", e);
                }

                var delay = TimeSpan.FromTicks(Math.Min(Options.MaxRetryDelay.Ticks, Options.FirstRetryDelay.Ticks << Math.Min(attempt - 1, 20)));
                LogRetrying(Path.GetFileName(part.Destination), Reason(e), delay.TotalSeconds, attempt, Options.MaxAttempts);
                await Task.Delay(delay, time, cancellationToken);
            }
        }

        await VerifyAsync(state, cancellationToken);
        File.Move(partial, part.Destination, overwrite: true);
        state.Report(final: true);
        LogDone(part.Destination, state.Total ?? state.Done);
    }

    /// <summary>One GET from where the .part file ends; appends, or restarts when the server sends the whole file.</summary>
    private async Task TransferAsync(Transfer state, CancellationToken cancellationToken)
    {
        var existing = File.Exists(state.Partial) ? new FileInfo(state.Partial).Length : 0;
        using var response = await SendAsync(state, existing, cancellationToken);
        if (response.StatusCode == HttpStatusCode.RequestedRangeNotSatisfiable)
        {
            var total = response.Content.Headers.ContentRange?.Length ?? state.Part.ExpectedBytes;
            if (total == existing)
            {
                state.Total = total;
                state.Done = existing;
                return; // the .part already holds the whole file
            }

            LogRestart(Path.GetFileName(state.Part.Destination), "the server cannot resume it (416)");
            File.Delete(state.Partial);
            throw new RetryNowException("416 for a partial file that does not match; restarting it");
        }

        if (!response.IsSuccessStatusCode)
        {
            var code = (int)response.StatusCode;
            if (code >= 500 || response.StatusCode == HttpStatusCode.TooManyRequests)
            {
                throw new HttpRequestException($"HTTP {code} {response.ReasonPhrase}", null, response.StatusCode);
            }

            throw new DownloadException(response.StatusCode switch
            {
                HttpStatusCode.NotFound => $"Not found on the hub: {state.Part.Url} (404). Check the repository and file name.",
                HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden =>
                    $"{state.Part.Url} needs access ({code}): accept the model's license on Hugging Face and set HF_TOKEN, or pick another model.",
                _ => $"{state.Part.Url} answered {code} {response.ReasonPhrase}.",
            });
        }

        var append = existing > 0 && response.StatusCode == HttpStatusCode.PartialContent && response.Content.Headers.ContentRange?.From == existing;
        if (existing > 0 && !append)
        {
            // The server ignored the range (200) or answered another one: start over, never append a whole body.
            LogRestart(Path.GetFileName(state.Part.Destination), $"the server answered {(int)response.StatusCode} to a resume from byte {existing}");
            existing = 0;
        }

        state.Total = append ? response.Content.Headers.ContentRange?.Length ?? state.Part.ExpectedBytes
            : response.Content.Headers.ContentLength ?? state.Part.ExpectedBytes;
        CheckDiskSpace(state, existing);
        state.Done = existing;
        state.Report(final: false);
        await using var file = new FileStream(state.Partial, append ? FileMode.Append : FileMode.Create, FileAccess.Write, FileShare.None, BufferBytes, useAsync: true);
        await using var body = await response.Content.ReadAsStreamAsync(cancellationToken);
        var buffer = new byte[BufferBytes];
        while (true)
        {
            var read = await body.ReadAsync(buffer, cancellationToken);
            if (read == 0)
            {
                break;
            }

            await file.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
            state.Done += read;
            state.Report(final: false);
        }

        if (state.Total is { } expected && state.Done < expected)
        {
            throw new IOException($"the connection ended after {state.Done:N0} of {expected:N0} bytes");
        }
    }

    /// <summary>GET from <paramref name="from"/>, following redirects; picks up the hub's SHA-256 on the way.</summary>
    private async Task<HttpResponseMessage> SendAsync(Transfer state, long from, CancellationToken cancellationToken)
    {
        var url = state.Part.Url;
        for (var hop = 0; ; hop++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, url);
            if (from > 0)
            {
                request.Headers.Range = new RangeHeaderValue(from, null);
            }

            if (Options.BearerToken is { } token && string.Equals(url.Authority, state.Part.Url.Authority, StringComparison.OrdinalIgnoreCase))
            {
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            }

            var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
            state.HubSha256 ??= HubSha256(response);
            if ((int)response.StatusCode is not (301 or 302 or 303 or 307 or 308) || response.Headers.Location is not { } location)
            {
                return response;
            }

            response.Dispose();
            if (hop == MaxRedirects)
            {
                throw new DownloadException($"{state.Part.Url} redirected more than {MaxRedirects} times.");
            }

            url = location.IsAbsoluteUri ? location : new Uri(url, location);
        }
    }

    private static void CheckDiskSpace(Transfer state, long existing)
    {
        if (state.Total is not { } total)
        {
            return;
        }

        var folder = Path.GetDirectoryName(Path.GetFullPath(state.Part.Destination))!;
        var free = new DriveInfo(folder).AvailableFreeSpace;
        var needed = total - existing;
        if (needed > free)
        {
            throw new DownloadException(
                $"Not enough disk space for {Path.GetFileName(state.Part.Destination)} in {folder}: needs {Size(needed)} more, {Size(free)} free. Free some space or set MESH_LLM_MODELS_DIR to a bigger disk.");
        }
    }

    private static async Task VerifyAsync(Transfer state, CancellationToken cancellationToken)
    {
        var length = new FileInfo(state.Partial).Length;
        var expectedLength = state.Part.ExpectedBytes ?? state.Total;
        if (expectedLength is { } size && length != size)
        {
            File.Delete(state.Partial);
            throw new DownloadException($"{Path.GetFileName(state.Part.Destination)} has {length:N0} bytes instead of {size:N0}; deleted. Run the command again.");
        }

        if ((state.Part.Sha256 ?? state.HubSha256) is not { } expected)
        {
            return;
        }

        var actual = await HashAsync(state.Partial, cancellationToken);
        if (!string.Equals(actual, expected, StringComparison.OrdinalIgnoreCase))
        {
            File.Delete(state.Partial);
            throw new DownloadException($"Checksum mismatch for {Path.GetFileName(state.Part.Destination)}: expected SHA-256 {expected}, got {actual}; the file was deleted. Run the command again.");
        }
    }

    /// <summary>True when the destination exists with the expected size (and hash, when one is known).</summary>
    private static async Task<bool> IsCompleteAsync(DownloadPart part, CancellationToken cancellationToken)
    {
        if (!File.Exists(part.Destination) || (part.ExpectedBytes is { } size && new FileInfo(part.Destination).Length != size))
        {
            return false;
        }

        return part.Sha256 is null || string.Equals(await HashAsync(part.Destination, cancellationToken), part.Sha256, StringComparison.OrdinalIgnoreCase);
    }

    private static async Task<string> HashAsync(string path, CancellationToken cancellationToken)
    {
        await using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, BufferBytes, useAsync: true);
        return Convert.ToHexStringLower(await SHA256.HashDataAsync(file, cancellationToken));
    }

    /// <summary>The hub's SHA-256 of an LFS file: <c>X-Linked-Etag</c>, or an <c>ETag</c> that is 64 hex digits.</summary>
    public static string? HubSha256(HttpResponseMessage response)
    {
        var candidates = response.Headers.TryGetValues("X-Linked-Etag", out var linked) ? linked : [];
        if (response.Headers.ETag is { } etag)
        {
            candidates = candidates.Append(etag.Tag);
        }

        return candidates.Select(c => c.Replace("W/", "", StringComparison.Ordinal).Trim('"'))
            .FirstOrDefault(c => c.Length == 64 && c.All(char.IsAsciiHexDigit))?.ToLowerInvariant();
    }

    /// <summary>Holds <c>FILE.lock</c>; another holder makes this wait (a log line says so) until it is released.</summary>
    private async Task<FileStream> LockAsync(DownloadPart part, CancellationToken cancellationToken)
    {
        var path = part.Destination + ".lock";
        var logged = false;
        while (true)
        {
            try
            {
                return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, 1, FileOptions.DeleteOnClose);
            }
            catch (IOException) when (!cancellationToken.IsCancellationRequested)
            {
                if (!logged)
                {
                    LogWaiting(Path.GetFileName(part.Destination));
                    logged = true;
                }

                await Task.Delay(Options.LockPollInterval, time, cancellationToken);
            }
        }
    }

    private static bool IsTransient(Exception e) => e is HttpRequestException or IOException or RetryNowException
        || (e is TaskCanceledException { InnerException: TimeoutException });

    private static string Reason(Exception e) => e is HttpRequestException { InnerException: { } inner } ? $"{e.Message} ({inner.Message})" : e.Message;

    private static string Size(long bytes) => Planning.NodeCapacity.Describe(bytes);

    private sealed class RetryNowException(string message) : Exception(message);

    /// <summary>One file's transfer across attempts, and its rate-limited progress.</summary>
    private sealed class Transfer(DownloadPart part, string partial, int index, int count, IProgress<DownloadProgress>? progress, TimeProvider time)
    {
        private readonly long _started = time.GetTimestamp();
        private long _lastReport;
        private long _startedAtBytes = -1;

        public DownloadPart Part => part;

        public string Partial => partial;

        public long? Total { get; set; }

        public long Done { get; set; }

        public string? HubSha256 { get; set; }

        public void Report(bool final)
        {
            if (progress is null)
            {
                return;
            }

            var now = time.GetTimestamp();
            if (!final && _lastReport != 0 && time.GetElapsedTime(_lastReport, now) < s_progressInterval)
            {
                return;
            }

            _lastReport = now;
            if (_startedAtBytes < 0)
            {
                _startedAtBytes = Done;
            }

            var seconds = time.GetElapsedTime(_started, now).TotalSeconds;
            var rate = seconds > 0 ? (Done - _startedAtBytes) / seconds : 0;
            TimeSpan? eta = Total is { } total && rate > 0 ? TimeSpan.FromSeconds((total - Done) / rate) : null;
            progress.Report(new DownloadProgress(Path.GetFileName(part.Destination), Done, Total, rate, eta, index, count));
        }
    }

    [LoggerMessage(EventId = 6100, Level = LogLevel.Information, Message = "{File} is already downloaded")]
    private partial void LogAlreadyThere(string file);

    [LoggerMessage(EventId = 6101, Level = LogLevel.Information, Message = "Downloaded {File} ({Bytes} bytes), verified")]
    private partial void LogDone(string file, long bytes);

    [LoggerMessage(EventId = 6102, Level = LogLevel.Warning, Message = "Download of {File} interrupted ({Reason}); retrying in {DelaySeconds:F0} s (try {Attempt} of {MaxAttempts})")]
    private partial void LogRetrying(string file, string reason, double delaySeconds, int attempt, int maxAttempts);

    [LoggerMessage(EventId = 6103, Level = LogLevel.Warning, Message = "Restarting {File} from the beginning: {Reason}")]
    private partial void LogRestart(string file, string reason);

    [LoggerMessage(EventId = 6104, Level = LogLevel.Information, Message = "Waiting for another download of {File} to finish")]
    private partial void LogWaiting(string file);
}

/// <summary>Human progress lines for downloads, the same on a terminal and in plain logs.</summary>
public static class DownloadProgressText
{
    /// <summary>e.g. <c>Qwen3-8B-Q4_K_M.gguf  1.2 GB / 5.0 GB  24%  38.5 MB/s  ETA 1m40s</c>.</summary>
    public static string Format(DownloadProgress p)
    {
        var part = p.PartCount > 1 ? $" [{p.PartIndex + 1}/{p.PartCount}]" : "";
        var done = Planning.NodeCapacity.Describe(p.Done);
        if (p.Total is not { } total || total <= 0)
        {
            return $"{p.File}{part}  {done}  {Planning.NodeCapacity.Describe((long)p.BytesPerSecond)}/s";
        }

        var percent = (int)(100.0 * p.Done / total);
        var eta = p.Eta is { } e ? "  ETA " + (e.TotalHours >= 1 ? $"{(int)e.TotalHours}h{e.Minutes:00}m" : e.TotalMinutes >= 1 ? $"{(int)e.TotalMinutes}m{e.Seconds:00}s" : $"{e.Seconds}s") : "";
        return string.Create(CultureInfo.InvariantCulture,
            $"{p.File}{part}  {done} / {Planning.NodeCapacity.Describe(total)}  {percent}%  {Planning.NodeCapacity.Describe((long)p.BytesPerSecond)}/s{eta}");
    }
}
