using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using MeshLlm.Identity;
using MeshLlm.Inference.LlamaCpp;
using MeshLlm.Membership;
using MeshLlm.Transport;
using MeshLlm.Tunnels;
using Microsoft.Extensions.Logging.Abstractions;

namespace MeshLlm.Bench;

/// <summary>
/// The bench model split over two rpc-servers (the rig's), one llama-server at a time: (a) <c>--rpc</c> straight to
/// both rpc-servers; (t) the first through a mesh RPC tunnel (two <see cref="MeshNode"/>s in this process, real
/// TLS on loopback: the host's <see cref="RpcTunnelListener"/> → mesh channel → the partner's
/// <see cref="RpcTunnelServer"/> → rpc-server), the second direct, as a CPU host uses its own. Each round loads
/// llama-server both ways (rotating order; an rpc-server serves one client at a time), times the load, then
/// probes decode and TTFT. Goal: (t)/(a) ≥ 0.9.
/// </summary>
internal static class SplitScenario
{
    private const double Goal = 0.9;
    private const int ProbesPerLoad = 3;

    public static async Task RunAsync(int rounds, int threads, string model, string binDir, CancellationToken ct)
    {
        using var partnerRpc = RpcServer.Start(binDir, threads);
        using var hostRpc = RpcServer.Start(binDir, threads);
        await Task.WhenAll(partnerRpc.WaitAsync(ct), hostRpc.WaitAsync(ct));
        var (host, partner) = await StartMeshAsync(ct);
        await using var _ = host;
        await using var __ = partner;
        partner.SetChannelHandler(ChannelType.RpcTunnel, new RpcTunnelServer(() => partnerRpc.Port, NullLogger<RpcTunnelServer>.Instance).HandleAsync);
        await using var tunnel = RpcTunnelListener.Start(host, partner.Id, NullLogger.Instance);

        string[][] rpc = [[$"127.0.0.1:{partnerRpc.Port}", $"127.0.0.1:{hostRpc.Port}"], [$"127.0.0.1:{tunnel.Port}", $"127.0.0.1:{hostRpc.Port}"]];
        using var http = StreamProbe.CreateClient();
        await global::System.Console.Error.WriteLineAsync($"rpc-servers on {partnerRpc.Port} (partner) and {hostRpc.Port} (host); tunnel listener {tunnel.Port}");
        // One unmeasured load each way: rpc-server's cache then holds the big tensors for both alike.
        foreach (var list in rpc)
        {
            await using var warm = await LlamaServer.StartAsync(binDir, model, threads, list, ct);
            await StreamProbe.WarmUpAsync(http, [warm.Address], ct);
        }

        var samples = await Stats.InterleavedAsync(rounds, rpc.Length, async (t, r) =>
        {
            await using var server = await LlamaServer.StartAsync(binDir, model, threads, rpc[t], ct);
            var probes = new List<StreamSample>();
            for (var i = 0; i < ProbesPerLoad; i++)
            {
                probes.Add(await StreamProbe.DecodeAsync(http, server.Address, $"{r}.{t}.{i}", ct));
            }

            return (server.LoadMs, Decode: Stats.Median(probes.Select(p => p.DecodeTokensPerSecond)), Ttft: Stats.Median(probes.Select(p => p.TtftMs)));
        });

        var (direct, tunnelled) = (samples[0], samples[1]);
        Stats.PrintTable(
            $"split: {Path.GetFileName(model)} over two rpc-servers (--tensor-split 0.5,0.5, all layers offloaded), {threads} threads each, " +
            $"llama-server loaded {rounds} times each way (rotating), {ProbesPerLoad} probes per load, medians; {Environment.ProcessorCount} cores",
            ["measure", "(a) --rpc direct", "(t) first rpc-server through a mesh tunnel", "(t)/(a), goal ≥ 0.9"],
            [
                [$"decode tok/s ({StreamProbe.DecodeTokens} tokens, greedy)", $"{Stats.Median(direct.Select(s => s.Decode)):F1}", $"{Stats.Median(tunnelled.Select(s => s.Decode)):F1}",
                    Verdict(Stats.Median(tunnelled.Select(s => s.Decode)), Stats.Median(direct.Select(s => s.Decode))) + $" ({Stats.RoundSpread(tunnelled.Select(s => s.Decode), direct.Select(s => s.Decode))})"],
                ["time to first token, ms (short prompt)", $"{Stats.Median(direct.Select(s => s.Ttft)):F1}", $"{Stats.Median(tunnelled.Select(s => s.Ttft)):F1}",
                    Stats.Ratio(Stats.Median(direct.Select(s => s.Ttft)), Stats.Median(tunnelled.Select(s => s.Ttft))) + " (speed)"],
                ["model load, ms (start to /health 200)", $"{Stats.Median(direct.Select(s => s.LoadMs)):F0}", $"{Stats.Median(tunnelled.Select(s => s.LoadMs)):F0}",
                    Stats.Ratio(Stats.Median(direct.Select(s => s.LoadMs)), Stats.Median(tunnelled.Select(s => s.LoadMs))) + " (speed)"],
            ]);
    }

    private static string Verdict(double value, double baseline) =>
        Stats.Ratio(value, baseline) + (baseline > 0 && value / baseline >= Goal ? " met" : " **below**");

    private static async Task<(MeshNode Host, MeshNode Partner)> StartMeshAsync(CancellationToken ct)
    {
        var credentials = new MeshCredentials(MeshId.NewRandom(), InviteToken.NewSecret());
        var keys = new[] { NodeKey.Ephemeral(), NodeKey.Ephemeral() };
        var port = FreePort();
        MeshNode Create(int i, IReadOnlyList<InviteToken> joins)
        {
            var transport = new TransportOptions { BindAddress = "127.0.0.1", BindPort = i == 0 ? port : 0, AdvertiseInterfaces = false };
            transport.Advertise.Add("127.0.0.1");
            return new MeshNode(keys[i], credentials, joins, new MembershipOptions(), transport, TimeProvider.System, NullLoggerFactory.Instance);
        }

        var partner = Create(0, []);
        await partner.StartAsync(ct);
        var host = Create(1, [new InviteToken(keys[0].Id, [$"127.0.0.1:{port}"], credentials.Mesh, credentials.Secret)]);
        await host.StartAsync(ct);
        return (host, partner);
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>One rig rpc-server on a free loopback port, with its tensor cache.</summary>
    private sealed class RpcServer : IDisposable
    {
        private readonly Process _process;

        private RpcServer(Process process, int port)
        {
            _process = process;
            Port = port;
        }

        public int Port { get; }

        public static RpcServer Start(string binDir, int threads)
        {
            var port = FreePort();
            var info = new ProcessStartInfo(Path.Combine(binDir, "rpc-server")) { RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (var arg in LlamaCppFlags.RpcArguments(port, threads))
            {
                info.ArgumentList.Add(arg);
            }

            var process = Process.Start(info)!;
            process.OutputDataReceived += (_, _) => { };
            process.ErrorDataReceived += (_, _) => { };
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            return new RpcServer(process, port);
        }

        public async Task WaitAsync(CancellationToken ct)
        {
            for (var i = 0; i < 300; i++)
            {
                try
                {
                    using var client = new TcpClient();
                    await client.ConnectAsync(IPAddress.Loopback, Port, ct);
                    return;
                }
                catch (SocketException)
                {
                    await Task.Delay(100, ct);
                }
            }

            throw new InvalidOperationException($"rpc-server did not open port {Port}");
        }

        public void Dispose()
        {
            _process.Kill();
            _process.WaitForExit();
            _process.Dispose();
        }
    }

    /// <summary>A llama-server split over <c>rpc</c> with mesh-llm's own flags, and how long it took to load.</summary>
    private sealed class LlamaServer : IAsyncDisposable
    {
        private readonly Process _process;

        private LlamaServer(Process process, Uri address, double loadMs)
        {
            _process = process;
            Address = address;
            LoadMs = loadMs;
        }

        public Uri Address { get; }

        public double LoadMs { get; }

        public static async Task<LlamaServer> StartAsync(string binDir, string model, int threads, IReadOnlyList<string> rpc, CancellationToken ct)
        {
            var port = FreePort();
            var settings = new LlamaServerSettings(model, "bench", port, 2048, 1, threads, 999, null, rpc, "0.50,0.50");
            var info = new ProcessStartInfo(Path.Combine(binDir, "llama-server")) { RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (var arg in LlamaCppFlags.ServerArguments(settings))
            {
                info.ArgumentList.Add(arg);
            }

            var start = Stopwatch.GetTimestamp();
            var process = Process.Start(info)!;
            var log = new List<string>();
            process.ErrorDataReceived += (_, e) => { lock (log) { if (e.Data is not null) log.Add(e.Data); } };
            process.OutputDataReceived += (_, _) => { };
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            var address = new Uri($"http://127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}/");
            using var health = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
            while (true)
            {
                if (process.HasExited)
                {
                    lock (log)
                    {
                        throw new InvalidOperationException($"llama-server exited with {process.ExitCode}: {string.Join('\n', log.TakeLast(15))}");
                    }
                }

                try
                {
                    using var response = await health.GetAsync(new Uri(address, "health"), ct);
                    if (response.IsSuccessStatusCode)
                    {
                        return new LlamaServer(process, address, Stopwatch.GetElapsedTime(start).TotalMilliseconds);
                    }
                }
                catch (HttpRequestException)
                {
                }

                await Task.Delay(20, ct);
            }
        }

        public async ValueTask DisposeAsync()
        {
            // SIGTERM, so it closes its rpc connections and the rpc-servers are free for the next load.
            if (!_process.HasExited)
            {
                Testing.PosixSignal.Send(_process.Id, Testing.PosixSignal.SigTerm);
            }

            await _process.WaitForExitAsync();
            _process.Dispose();
        }
    }
}
