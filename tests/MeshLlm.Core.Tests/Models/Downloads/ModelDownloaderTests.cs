using System.Diagnostics;
using System.Security.Cryptography;
using Microsoft.Extensions.Logging.Abstractions;

namespace MeshLlm.Models;

public sealed class ModelDownloaderTests : IAsyncDisposable
{
    private const int Size = 3 * 1024 * 1024;

    private readonly FakeHub _hub = new();
    private readonly HttpClient _http = ModelDownloader.CreateHttpClient();
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("mesh-llm-dl-");

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask DisposeAsync()
    {
        await _hub.DisposeAsync();
        _http.Dispose();
        _dir.Delete(recursive: true);
    }

    private ModelDownloader Downloader() =>
        new(_http, TimeProvider.System, NullLogger<ModelDownloader>.Instance) { Options = new DownloadOptions { FirstRetryDelay = TimeSpan.FromMilliseconds(10), LockPollInterval = TimeSpan.FromMilliseconds(20) } };

    private byte[] Serve(string name, int size = Size, int seed = 1)
    {
        var bytes = new byte[size];
        new Random(seed).NextBytes(bytes);
        _hub.Files[name] = bytes;
        return bytes;
    }

    private string Dest(string name) => Path.Combine(_dir.FullName, name);

    private static string Sha(byte[] bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));

    private void AssertOnlyComplete(string name, byte[] expected)
    {
        Assert.Equal(expected, File.ReadAllBytes(Dest(name)));
        Assert.False(File.Exists(Dest(name) + ".part"), "the .part file was left behind");
        Assert.False(File.Exists(Dest(name) + ".lock"), "the lock file was left behind");
    }

    [Fact]
    public async Task PlainDownload_WithTheHubsChecksum()
    {
        var bytes = Serve("m.gguf");
        _hub.LinkedEtag = Sha(bytes);
        var reports = new List<DownloadProgress>();

        await Downloader().DownloadAsync([new DownloadPart(_hub.Url("m.gguf"), Dest("m.gguf"))], new SyncProgress(reports), Ct);

        AssertOnlyComplete("m.gguf", bytes);
        Assert.Equal(Size, reports[^1].Done);
        Assert.Equal(Size, reports[^1].Total);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task HubRedirect_ChecksumFromTheRedirect_TokenNotSentToStorage(bool rightChecksum)
    {
        // Like huggingface.co: /resolve/ answers 302 to a storage host with the SHA-256 in X-Linked-Etag.
        await using var storage = new FakeHub();
        var bytes = RandomNumberGenerator.GetBytes(300_000);
        storage.Files["blob"] = bytes;
        _hub.Redirects["org/repo/resolve/main/m.gguf"] = storage.Url("blob");
        _hub.LinkedEtag = rightChecksum ? Sha(bytes) : new string('b', 64);
        var downloader = new ModelDownloader(_http, TimeProvider.System, NullLogger<ModelDownloader>.Instance) { Options = new DownloadOptions { BearerToken = "hf_secret" } };

        var download = downloader.DownloadAsync([new DownloadPart(_hub.Url("org/repo/resolve/main/m.gguf"), Dest("m.gguf"))], null, Ct);

        if (rightChecksum)
        {
            await download;
            AssertOnlyComplete("m.gguf", bytes);
        }
        else
        {
            Assert.Contains("Checksum mismatch", (await Assert.ThrowsAsync<DownloadException>(() => download)).Message);
            Assert.False(File.Exists(Dest("m.gguf")));
        }

        Assert.Equal("Bearer hf_secret", Assert.Single(_hub.Requests).Authorization);
        Assert.Equal("", Assert.Single(storage.Requests).Authorization);
    }

    [Fact]
    public async Task ConnectionDroppedMidFile_ResumesFromWhereItStopped()
    {
        var bytes = Serve("m.gguf");
        _hub.DropAfterBytes = 1_000_000;
        _hub.DropsLeft = 1;

        await Downloader().DownloadAsync([new DownloadPart(_hub.Url("m.gguf"), Dest("m.gguf"), Size, Sha(bytes))], null, Ct);

        AssertOnlyComplete("m.gguf", bytes);
        Assert.Equal(["", "bytes=1000000-"], _hub.Ranges);
        Assert.Equal(Size, _hub.BodyBytesSent); // 1,000,000 then the rest: nothing sent twice
    }

    [Fact]
    public async Task ServerIgnoringRange_RestartsCleanly_NeverAppendsAWholeBody()
    {
        var bytes = Serve("m.gguf");
        await File.WriteAllBytesAsync(Dest("m.gguf") + ".part", bytes[..1_000_000], Ct);
        _hub.IgnoreRange = true;

        await Downloader().DownloadAsync([new DownloadPart(_hub.Url("m.gguf"), Dest("m.gguf"))], null, Ct);

        AssertOnlyComplete("m.gguf", bytes);
        Assert.Equal(["bytes=1000000-"], _hub.Ranges);
    }

    [Fact]
    public async Task Answer416_CompletePartIsFinished_ABadOneIsRestarted()
    {
        var bytes = Serve("full.gguf");
        await File.WriteAllBytesAsync(Dest("full.gguf") + ".part", bytes, Ct);
        await Downloader().DownloadAsync([new DownloadPart(_hub.Url("full.gguf"), Dest("full.gguf"), Size, Sha(bytes))], null, Ct);
        AssertOnlyComplete("full.gguf", bytes);
        Assert.Equal(0, _hub.BodyBytesSent);

        var other = Serve("long.gguf", seed: 2);
        await File.WriteAllBytesAsync(Dest("long.gguf") + ".part", new byte[Size + 10], Ct); // longer than the file: 416
        await Downloader().DownloadAsync([new DownloadPart(_hub.Url("long.gguf"), Dest("long.gguf"))], null, Ct);
        AssertOnlyComplete("long.gguf", other);
    }

    [Fact]
    public async Task NotFound_ClearMessage_NothingLeft()
    {
        var e = await Assert.ThrowsAsync<DownloadException>(() =>
            Downloader().DownloadAsync([new DownloadPart(_hub.Url("org/repo/missing.gguf"), Dest("missing.gguf"))], null, Ct));

        Assert.Contains("Not found on the hub", e.Message);
        Assert.Contains("org/repo/missing.gguf", e.Message);
        Assert.Empty(_dir.GetFiles());
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task WrongChecksum_Rejected_NotKeptAsComplete(bool fromHubHeader)
    {
        Serve("m.gguf");
        var wrong = new string('a', 64);
        _hub.LinkedEtag = fromHubHeader ? wrong : null;

        var e = await Assert.ThrowsAsync<DownloadException>(() =>
            Downloader().DownloadAsync([new DownloadPart(_hub.Url("m.gguf"), Dest("m.gguf"), Sha256: fromHubHeader ? null : wrong)], null, Ct));

        Assert.Contains("Checksum mismatch", e.Message);
        Assert.False(File.Exists(Dest("m.gguf")));
        Assert.False(File.Exists(Dest("m.gguf") + ".part"));
    }

    [Fact]
    public async Task TwoDownloadsOfOneFile_OneWritesTheOtherWaits_BodySentOnce()
    {
        var bytes = Serve("m.gguf");
        _hub.ChunkDelay = TimeSpan.FromMilliseconds(5);
        var part = new DownloadPart(_hub.Url("m.gguf"), Dest("m.gguf"), Size);

        await Task.WhenAll(Downloader().DownloadAsync([part], null, Ct), Downloader().DownloadAsync([part], null, Ct));

        AssertOnlyComplete("m.gguf", bytes);
        Assert.Equal(Size, _hub.BodyBytesSent);
    }

    [Fact]
    public async Task NotEnoughDiskSpace_RefusedBeforeWriting()
    {
        var mount = Directory.CreateDirectory(Path.Combine(_dir.FullName, "small")).FullName;
        if (!Environment.IsPrivilegedProcess)
        {
            Assert.Skip("mounting a small tmpfs needs root (CI runs as root)");
        }

        Assert.Equal(0, Run("mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", mount));
        try
        {
            Serve("big.gguf");
            var target = Path.Combine(mount, "big.gguf");

            var e = await Assert.ThrowsAsync<DownloadException>(() => Downloader().DownloadAsync([new DownloadPart(_hub.Url("big.gguf"), target)], null, Ct));

            Assert.Contains("Not enough disk space", e.Message);
            Assert.False(File.Exists(target));
            Assert.False(File.Exists(target + ".part"));
        }
        finally
        {
            Run("umount", mount);
        }
    }

    [Fact]
    public async Task SplitParts_AllDownloadedAndVerified()
    {
        var parts = Enumerable.Range(1, 3).Select(i => (Name: $"big-0000{i}-of-00003.gguf", Bytes: Serve($"q/big-0000{i}-of-00003.gguf", 1_000_000 + i, seed: i))).ToList();

        await Downloader().DownloadAsync([.. parts.Select(p => new DownloadPart(_hub.Url("q/" + p.Name), Dest(p.Name), p.Bytes.Length, Sha(p.Bytes)))], null, Ct);

        Assert.All(parts, p => AssertOnlyComplete(p.Name, p.Bytes));
    }

    [Fact]
    public void HubUrl_EndpointRepoBranchAndEscapedPath() =>
        Assert.Equal("http://127.0.0.1:9/org/repo/resolve/main/Q4_K_M/a%20b-00001-of-00002.gguf",
            ModelDownloader.HubUrl("org/repo", "Q4_K_M/a b-00001-of-00002.gguf", endpoint: "http://127.0.0.1:9/").AbsoluteUri);

    [Fact]
    public void ProgressText_SizesPercentRateEta() =>
        Assert.Equal("m.gguf [2/3]  1.2 GB / 5.0 GB  24%  38.5 MB/s  ETA 1m40s",
            DownloadProgressText.Format(new DownloadProgress("m.gguf", 1_200_000_000, 5_000_000_000, 38_500_000, TimeSpan.FromSeconds(100), 1, 3)));

    private static int Run(string file, params string[] args)
    {
        using var process = Process.Start(new ProcessStartInfo(file, args) { RedirectStandardError = true })!;
        process.WaitForExit();
        return process.ExitCode;
    }

    /// <summary>Collects reports on the reporting thread (Progress&lt;T&gt; would post them later).</summary>
    private sealed class SyncProgress(List<DownloadProgress> reports) : IProgress<DownloadProgress>
    {
        public void Report(DownloadProgress value)
        {
            lock (reports)
            {
                reports.Add(value);
            }
        }
    }
}
