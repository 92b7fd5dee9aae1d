using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Xunit;

namespace MeshLlm.Testing;

/// <summary>
/// A real Nostr relay (<c>tests/relay/relay.mjs</c>: @nostr-relay/core over ws, in memory) as a child process on
/// 127.0.0.1, plus <c>tests/relay/tools.mjs</c> (nostr-tools) for cross-checks. Without node or the npm packages a
/// test skips with the reason, unless <c>MESH_LLM_REQUIRE_RELAY=1</c> (CI), which turns the skip into a failure.
/// </summary>
public sealed class NostrRelay : IAsyncDisposable
{
    /// <summary>Longest wait for the relay's "listening" line or a tools.mjs run.</summary>
    public static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(30);

    private Process? _process;

    private NostrRelay(Process process, int port)
    {
        _process = process;
        Port = port;
    }

    public static string Folder => Path.Combine(RepoPaths.Root, "tests", "relay");

    public int Port { get; }

    /// <summary><c>ws://127.0.0.1:PORT</c>; the same after <see cref="StopAsync"/> and <see cref="RestartAsync"/>.</summary>
    public Uri Url => new($"ws://127.0.0.1:{Port}");

    /// <summary>node on PATH, or null.</summary>
    public static string? NodePath =>
        (System.Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(dir => Path.Combine(dir, "node"))
            .FirstOrDefault(File.Exists);

    public static bool Available =>
        NodePath is not null
        && Directory.Exists(Path.Combine(Folder, "node_modules", "@nostr-relay", "core"))
        && Directory.Exists(Path.Combine(Folder, "node_modules", "nostr-tools"))
        && Directory.Exists(Path.Combine(Folder, "node_modules", "ws"));

    /// <summary>Returns node's path, or skips (fails under <c>MESH_LLM_REQUIRE_RELAY=1</c>) the calling test.</summary>
    public static string Require()
    {
        if (Available)
        {
            return NodePath!;
        }

        var missing = NodePath is null ? "node is not installed" : "tests/relay/node_modules is missing";
        var reason = $"Nostr test relay unavailable ({missing}): install Node.js and run `npm ci --prefix tests/relay` (scripts/test does both).";
        if (System.Environment.GetEnvironmentVariable("MESH_LLM_REQUIRE_RELAY") == "1")
        {
            Assert.Fail(reason + " MESH_LLM_REQUIRE_RELAY=1 makes this a failure.");
        }

        Assert.Skip(reason);
        return "";
    }

    /// <summary>Starts a relay on a free port (or <paramref name="port"/>) and waits until it listens.</summary>
    public static async Task<NostrRelay> StartAsync(int port = 0)
    {
        var (process, bound) = await LaunchAsync(port);
        return new NostrRelay(process, bound);
    }

    /// <summary>Kills the relay: its URL then refuses connections, and open connections break.</summary>
    public async Task StopAsync()
    {
        if (_process is { } process)
        {
            _process = null;
            await KillAsync(process);
        }
    }

    /// <summary>Stops the relay if running and starts a new, empty one on the same port.</summary>
    public async Task RestartAsync()
    {
        await StopAsync();
        (_process, _) = await LaunchAsync(Port);
    }

    /// <summary>A ws:// URL on a loopback port that nothing listens on (bound then released), for "relay down" tests.</summary>
    public static Uri ClosedPortUrl()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return new Uri($"ws://127.0.0.1:{port}");
    }

    /// <summary>Runs <c>node tools.mjs ARGS</c> and returns its stdout, trimmed.</summary>
    public static Task<string> RunToolAsync(params string[] args) => RunToolWithInputAsync(null, args);

    /// <summary>Runs <c>node tools.mjs ARGS</c> with <paramref name="stdin"/> as input and returns its stdout, trimmed.</summary>
    public static async Task<string> RunToolWithInputAsync(string? stdin, params string[] args)
    {
        var info = StartInfo("tools.mjs", args);
        using var process = Process.Start(info) ?? throw new InvalidOperationException("could not start node");
        if (stdin is not null)
        {
            await process.StandardInput.WriteAsync(stdin);
        }

        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(StartTimeout);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"tools.mjs {string.Join(' ', args)} did not finish within {StartTimeout.TotalSeconds} s");
        }

        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"tools.mjs {args.FirstOrDefault()} exited with {process.ExitCode}: {await stderr}");
        }

        return (await stdout).Trim();
    }

    public async ValueTask DisposeAsync() => await StopAsync();

    private static ProcessStartInfo StartInfo(string script, IEnumerable<string> args)
    {
        var info = new ProcessStartInfo(Require())
        {
            WorkingDirectory = Folder,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(Path.Combine(Folder, script));
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        return info;
    }

    private static async Task<(Process Process, int Port)> LaunchAsync(int port)
    {
        // stdin stays open: the relay exits when it closes, so a crashed test run leaves no relay behind.
        var process = Process.Start(StartInfo("relay.mjs", [port.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
            ?? throw new InvalidOperationException("could not start node");
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(StartTimeout);
        try
        {
            while (await process.StandardOutput.ReadLineAsync(timeout.Token) is { } line)
            {
                if (line.StartsWith("listening ", StringComparison.Ordinal) && int.TryParse(line.AsSpan(10), out var bound))
                {
                    return (process, bound);
                }
            }
        }
        catch (OperationCanceledException)
        {
            await KillAsync(process);
            throw new TimeoutException($"The test relay printed no 'listening' line within {StartTimeout.TotalSeconds} s.");
        }

        await process.WaitForExitAsync();
        var error = await stderr;
        process.Dispose();
        throw new InvalidOperationException($"The test relay exited before listening (port {port}): {error}");
    }

    private static async Task KillAsync(Process process)
    {
        try
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }
        catch (InvalidOperationException)
        {
            // Already exited.
        }
        finally
        {
            process.Dispose();
        }
    }
}
