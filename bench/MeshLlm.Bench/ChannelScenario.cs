using System.Buffers;
using System.Diagnostics;
using System.IO.Pipelines;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using System.Threading.Channels;
using MeshLlm.Identity;
using MeshLlm.Transport;
using Microsoft.Extensions.Logging.Abstractions;

namespace MeshLlm.Bench;

/// <summary>
/// Bulk throughput and round-trip latency on loopback, in one run, interleaved round by round: raw TCP, a plain
/// mutual TLS 1.3 <see cref="SslStream"/>, and a mesh channel between two <see cref="MeshTransport"/>s (through its
/// pipe, and through its stream adapter). Both ends run in this process, so the numbers measure CPU cost on
/// this machine's cores, not a network.
/// </summary>
internal static class ChannelScenario
{
    private const long BulkBytes = 256L << 20;
    private const long WarmUpBytes = 32L << 20;
    private const int WriteSize = 64 << 10;
    private const int RoundTrips = 2000;
    private const int WarmUpRoundTrips = 200;
    private static readonly int[] s_sizes = [64, 16 << 10];

    private sealed record Sample(double MBps, double CpuSecondsPerGB, double[] SmallUs, double[] LargeUs);

    public static async Task RunAsync(int rounds, CancellationToken ct)
    {
        await using var tcp = await TcpPairAsync(ct);
        await using var tls = await TlsPairAsync(ct);
        await using var mesh = await MeshPair.StartAsync(ct);
        var meshPipe = await mesh.OpenAsync(usePipe: true, ct);
        var meshStream = await mesh.OpenAsync(usePipe: false, ct);
        (string Name, Duplex Client, Duplex Server)[] targets =
        [
            ("raw TCP (NoDelay)", tcp.Client, tcp.Server),
            ("TLS 1.3 SslStream (mutual)", tls.Client, tls.Server),
            ("mesh channel, Pipe", meshPipe.Client, meshPipe.Server),
            ("mesh channel, Stream", meshStream.Client, meshStream.Server),
        ];

        foreach (var (_, client, server) in targets)
        {
            await BulkAsync(client, server, WarmUpBytes, ct);
            foreach (var size in s_sizes)
            {
                await PingPongAsync(client, server, size, WarmUpRoundTrips, ct);
            }
        }

        var samples = await Stats.InterleavedAsync(rounds, targets.Length, async (t, _) =>
        {
            var (_, client, server) = targets[t];
            var cpu = Process.GetCurrentProcess().TotalProcessorTime;
            var seconds = await BulkAsync(client, server, BulkBytes, ct);
            var cpuSeconds = (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalSeconds;
            var small = await PingPongAsync(client, server, s_sizes[0], RoundTrips, ct);
            var large = await PingPongAsync(client, server, s_sizes[1], RoundTrips, ct);
            return new Sample(BulkBytes / seconds / 1e6, cpuSeconds / (BulkBytes / 1e9), small, large);
        });

        Report(rounds, targets.Select(t => t.Name).ToArray(), samples);
        await meshPipe.DisposeAsync();
        await meshStream.DisposeAsync();
    }

    private static void Report(int rounds, string[] names, List<Sample>[] samples)
    {
        static string P(IEnumerable<double> values, double q) => $"{Percentile(values, q):F0}";

        Stats.PrintTable(
            $"channel: loopback, both ends in this process; bulk {BulkBytes >> 20} MiB one way in {WriteSize >> 10} KiB writes (median of {rounds} rounds); " +
            $"{RoundTrips} round trips per size per round (percentiles over all rounds); {Environment.ProcessorCount} cores",
            ["transport", "bulk MB/s (10^6 B/s)", "CPU s/GB (both ends)", "64 B round trip p50 / p99 µs", "16 KB round trip p50 / p99 µs"],
            names.Select((name, t) => (IReadOnlyList<string>)
            [
                name,
                $"{Stats.Median(samples[t].Select(s => s.MBps)):F0}",
                $"{Stats.Median(samples[t].Select(s => s.CpuSecondsPerGB)):F2}",
                $"{P(samples[t].SelectMany(s => s.SmallUs), 0.5)} / {P(samples[t].SelectMany(s => s.SmallUs), 0.99)}",
                $"{P(samples[t].SelectMany(s => s.LargeUs), 0.5)} / {P(samples[t].SelectMany(s => s.LargeUs), 0.99)}",
            ]));

        const int Tls = 1;
        foreach (var channel in new[] { 2, 3 })
        {
            var ratio = Stats.Median(samples[channel].Select(s => s.MBps)) / Stats.Median(samples[Tls].Select(s => s.MBps));
            var diffs = samples[channel].Zip(samples[Tls], (c, t) => (Percentile(c.LargeUs, 0.5) - Percentile(t.LargeUs, 0.5)) / 1000).Order().ToArray();
            var diff = (Percentile(samples[channel].SelectMany(s => s.LargeUs), 0.5) - Percentile(samples[Tls].SelectMany(s => s.LargeUs), 0.5)) / 1000;
            global::System.Console.WriteLine($"{names[channel]} vs TLS: throughput ratio {ratio:F3} " +
                $"({Stats.RoundSpread(samples[channel].Select(s => s.MBps), samples[Tls].Select(s => s.MBps))}; goal ≥ 0.6: {(ratio >= 0.6 ? "met" : "NOT met")}); " +
                $"16 KB p50 difference {diff:+0.000;-0.000} ms (per round {diffs[0]:+0.000;-0.000} to {diffs[^1]:+0.000;-0.000}; goal ≤ 0.1 ms: {(diff <= 0.1 ? "met" : "NOT met")})");
        }

        global::System.Console.WriteLine();
    }

    /// <summary>The value below which a fraction <paramref name="q"/> of the samples lie (nearest rank).</summary>
    private static double Percentile(IEnumerable<double> values, double q)
    {
        var sorted = values.Order().ToArray();
        return sorted[(int)Math.Min(sorted.Length - 1, Math.Ceiling(q * sorted.Length) - 1)];
    }

    /// <summary>Seconds until the server side has read all <paramref name="bytes"/> the client wrote.</summary>
    private static async Task<double> BulkAsync(Duplex client, Duplex server, long bytes, CancellationToken ct)
    {
        var chunk = new byte[WriteSize];
        Random.Shared.NextBytes(chunk);
        var start = Stopwatch.GetTimestamp();
        var receive = Task.Run(() => server.DrainAsync(bytes, ct), ct);
        for (long sent = 0; sent < bytes; sent += chunk.Length)
        {
            await client.WriteAsync(chunk.AsMemory(0, (int)Math.Min(chunk.Length, bytes - sent)), ct);
        }

        await receive;
        return Stopwatch.GetElapsedTime(start).TotalSeconds;
    }

    /// <summary>Round-trip times in µs: the client writes <paramref name="size"/> bytes, the server echoes them.</summary>
    private static async Task<double[]> PingPongAsync(Duplex client, Duplex server, int size, int count, CancellationToken ct)
    {
        var echo = Task.Run(async () =>
        {
            var buffer = new byte[size];
            for (var i = 0; i < count; i++)
            {
                await server.ReadExactlyAsync(buffer, ct);
                await server.WriteAsync(buffer, ct);
            }
        }, ct);
        var message = new byte[size];
        var reply = new byte[size];
        Random.Shared.NextBytes(message);
        var times = new double[count];
        for (var i = 0; i < count; i++)
        {
            var start = Stopwatch.GetTimestamp();
            await client.WriteAsync(message, ct);
            await client.ReadExactlyAsync(reply, ct);
            times[i] = Stopwatch.GetElapsedTime(start).TotalMicroseconds;
        }

        await echo;
        return times;
    }

    private static async Task<(Socket Client, Socket Server)> SocketPairAsync(CancellationToken ct)
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(1);
        var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        var accept = listener.AcceptAsync(ct).AsTask();
        await client.ConnectAsync(listener.LocalEndPoint!, ct);
        var server = await accept;
        server.NoDelay = true;
        return (client, server);
    }

    private static async Task<Pair> TcpPairAsync(CancellationToken ct)
    {
        var (client, server) = await SocketPairAsync(ct);
        return new Pair(new StreamDuplex(new NetworkStream(client, ownsSocket: true)), new StreamDuplex(new NetworkStream(server, ownsSocket: true)));
    }

    /// <summary>TLS 1.3 with both certificates made from node keys, each side pinning the other's id, as the mesh does.</summary>
    private static async Task<Pair> TlsPairAsync(CancellationToken ct)
    {
        using var clientKey = NodeKey.Ephemeral();
        using var serverKey = NodeKey.Ephemeral();
        var clientCertificate = SslStreamCertificateContext.Create(NodeCertificate.Create(clientKey, DateTimeOffset.UtcNow), null, offline: true);
        var serverCertificate = SslStreamCertificateContext.Create(NodeCertificate.Create(serverKey, DateTimeOffset.UtcNow), null, offline: true);
        var (clientSocket, serverSocket) = await SocketPairAsync(ct);
        var client = new SslStream(new NetworkStream(clientSocket, ownsSocket: true));
        var server = new SslStream(new NetworkStream(serverSocket, ownsSocket: true));
        await Task.WhenAll(
            client.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
            {
                TargetHost = "mesh-llm",
                ClientCertificateContext = clientCertificate,
                EnabledSslProtocols = SslProtocols.Tls13,
                CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
                RemoteCertificateValidationCallback = NodeCertificate.Validator(serverKey.Id),
            }, ct),
            server.AuthenticateAsServerAsync(new SslServerAuthenticationOptions
            {
                ServerCertificateContext = serverCertificate,
                ClientCertificateRequired = true,
                EnabledSslProtocols = SslProtocols.Tls13,
                CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
                RemoteCertificateValidationCallback = NodeCertificate.Validator(clientKey.Id),
            }, ct));
        global::System.Console.WriteLine($"TLS: {client.SslProtocol}, {client.NegotiatedCipherSuite}");
        return new Pair(new StreamDuplex(client), new StreamDuplex(server));
    }

    /// <summary>One end of a connection, by stream or by pipe.</summary>
    private abstract class Duplex : IAsyncDisposable
    {
        public abstract ValueTask WriteAsync(ReadOnlyMemory<byte> data, CancellationToken ct);

        public abstract ValueTask ReadExactlyAsync(Memory<byte> buffer, CancellationToken ct);

        public abstract Task DrainAsync(long bytes, CancellationToken ct);

        public abstract ValueTask DisposeAsync();
    }

    private sealed class StreamDuplex(Stream stream) : Duplex
    {
        private readonly byte[] _drain = new byte[256 << 10];

        public override async ValueTask WriteAsync(ReadOnlyMemory<byte> data, CancellationToken ct)
        {
            await stream.WriteAsync(data, ct);
            await stream.FlushAsync(ct);
        }

        public override ValueTask ReadExactlyAsync(Memory<byte> buffer, CancellationToken ct) => stream.ReadExactlyAsync(buffer, ct);

        public override async Task DrainAsync(long bytes, CancellationToken ct)
        {
            while (bytes > 0)
            {
                var read = await stream.ReadAsync(_drain.AsMemory(0, (int)Math.Min(_drain.Length, bytes)), ct);
                bytes -= read > 0 ? read : throw new EndOfStreamException();
            }
        }

        public override ValueTask DisposeAsync() => stream.DisposeAsync();
    }

    private sealed class PipeDuplex(IDuplexPipe pipe) : Duplex
    {
        public override async ValueTask WriteAsync(ReadOnlyMemory<byte> data, CancellationToken ct) => await pipe.Output.WriteAsync(data, ct);

        public override async ValueTask ReadExactlyAsync(Memory<byte> buffer, CancellationToken ct)
        {
            var result = await pipe.Input.ReadAtLeastAsync(buffer.Length, ct);
            if (result.Buffer.Length < buffer.Length)
            {
                throw new EndOfStreamException();
            }

            var slice = result.Buffer.Slice(0, buffer.Length);
            slice.CopyTo(buffer.Span);
            pipe.Input.AdvanceTo(slice.End);
        }

        public override async Task DrainAsync(long bytes, CancellationToken ct)
        {
            while (bytes > 0)
            {
                var result = await pipe.Input.ReadAsync(ct);
                var take = result.Buffer.Slice(0, Math.Min(result.Buffer.Length, bytes));
                if (take.Length == 0 && result.IsCompleted)
                {
                    throw new EndOfStreamException();
                }

                bytes -= take.Length;
                pipe.Input.AdvanceTo(take.End);
            }
        }

        public override ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }

    private sealed record Pair(Duplex Client, Duplex Server) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            await Client.DisposeAsync();
            await Server.DisposeAsync();
        }
    }

    /// <summary>Two transports on loopback, one dialing the other; channels the listener accepts are handed to the bench.</summary>
    private sealed class MeshPair : IAsyncDisposable
    {
        private readonly NodeKey _listenerKey = NodeKey.Ephemeral();
        private readonly NodeKey _dialerKey = NodeKey.Ephemeral();
        private readonly Channel<MeshChannel> _accepted = Channel.CreateUnbounded<MeshChannel>();
        private readonly TaskCompletionSource _finished = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private MeshTransport _listener = null!;
        private MeshTransport _dialer = null!;
        private MeshConnection _connection = null!;

        public static async Task<MeshPair> StartAsync(CancellationToken ct)
        {
            var pair = new MeshPair();
            var secret = InviteToken.NewSecret();
            TransportOptions Options()
            {
                var options = new TransportOptions { BindAddress = "127.0.0.1", AdvertiseInterfaces = false };
                options.Advertise.Add("127.0.0.1");
                return options;
            }

            pair._listener = new MeshTransport(pair._listenerKey, secret, isClient: false, Options(), TimeProvider.System, NullLogger.Instance);
            pair._dialer = new MeshTransport(pair._dialerKey, secret, isClient: false, Options(), TimeProvider.System, NullLogger.Instance);
            // The handler owns the channel until it returns: keep it open until the bench is done with it.
            pair._listener.ChannelHandler = async channel =>
            {
                await pair._accepted.Writer.WriteAsync(channel);
                await pair._finished.Task;
            };
            pair._listener.Start();
            pair._connection = await pair._dialer.ConnectAsync(pair._listenerKey.Id, pair._listener.Addresses, fresh: false, ct);
            return pair;
        }

        public async Task<Pair> OpenAsync(bool usePipe, CancellationToken ct)
        {
            var client = await _connection.OpenChannelAsync(ChannelType.HttpTunnel, TimeSpan.FromSeconds(10), ct);
            // The type byte travels with the first write: the listener sees the channel only once that arrives.
            var server = await _accepted.Reader.ReadAsync(ct);
            return usePipe
                ? new Pair(new PipeDuplex(client.Pipe), new PipeDuplex(server.Pipe))
                : new Pair(new StreamDuplex(client.Stream), new StreamDuplex(server.Stream));
        }

        public async ValueTask DisposeAsync()
        {
            _finished.TrySetResult();
            await _dialer.DisposeAsync();
            await _listener.DisposeAsync();
            _listenerKey.Dispose();
            _dialerKey.Dispose();
        }
    }
}
