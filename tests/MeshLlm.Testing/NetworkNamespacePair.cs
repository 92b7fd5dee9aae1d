using System.Diagnostics;

namespace MeshLlm.Testing;

/// <summary>
/// Two network namespaces joined by a veth pair (10.X.Y.1 and 10.X.Y.2), made with <c>ip</c> and removed on
/// dispose. Needs root. <see cref="CutAsync"/> and <see cref="RestoreAsync"/> take the link down and up.
/// </summary>
public sealed class NetworkNamespacePair : IAsyncDisposable
{
    private readonly string _vethA;
    private readonly string _vethB;

    private NetworkNamespacePair(string suffix, int subnet)
    {
        NamespaceA = "mlA" + suffix;
        NamespaceB = "mlB" + suffix;
        _vethA = "mva" + suffix;
        _vethB = "mvb" + suffix;
        AddressA = $"10.213.{subnet}.1";
        AddressB = $"10.213.{subnet}.2";
    }

    public string NamespaceA { get; }

    public string NamespaceB { get; }

    public string AddressA { get; }

    public string AddressB { get; }

    /// <summary>Why namespaces cannot be made here, or null when they can.</summary>
    public static string? Unavailable()
    {
        if (!OperatingSystem.IsLinux())
        {
            return "network namespaces need Linux";
        }

        if (Environment.UserName != "root" && Environment.GetEnvironmentVariable("USER") != "root")
        {
            return "network namespaces need root (CI runs as root)";
        }

        return File.Exists("/usr/sbin/ip") || File.Exists("/sbin/ip") || File.Exists("/usr/bin/ip") ? null : "iproute2 (ip) is not installed";
    }

    public static async Task<NetworkNamespacePair> CreateAsync()
    {
        var suffix = Random.Shared.Next(0x1000, 0xffff).ToString("x4", System.Globalization.CultureInfo.InvariantCulture);
        var pair = new NetworkNamespacePair(suffix, Random.Shared.Next(1, 250));
        try
        {
            await IpAsync("netns", "add", pair.NamespaceA);
            await IpAsync("netns", "add", pair.NamespaceB);
            await IpAsync("link", "add", pair._vethA, "type", "veth", "peer", "name", pair._vethB);
            await IpAsync("link", "set", pair._vethA, "netns", pair.NamespaceA);
            await IpAsync("link", "set", pair._vethB, "netns", pair.NamespaceB);
            foreach (var (ns, veth, address) in new[] { (pair.NamespaceA, pair._vethA, pair.AddressA), (pair.NamespaceB, pair._vethB, pair.AddressB) })
            {
                await IpAsync("-n", ns, "addr", "add", address + "/24", "dev", veth);
                await IpAsync("-n", ns, "link", "set", veth, "up");
                await IpAsync("-n", ns, "link", "set", "lo", "up");
            }
        }
        catch
        {
            await pair.DisposeAsync();
            throw;
        }

        return pair;
    }

    /// <summary>The command prefix that runs a program inside namespace A or B.</summary>
    public IReadOnlyList<string> Exec(bool a) => ["ip", "netns", "exec", a ? NamespaceA : NamespaceB];

    /// <summary>Pulls the cable: A's end of the veth goes down (B's end loses carrier).</summary>
    public Task CutAsync() => IpAsync("-n", NamespaceA, "link", "set", _vethA, "down");

    public Task RestoreAsync() => IpAsync("-n", NamespaceA, "link", "set", _vethA, "up");

    public async ValueTask DisposeAsync()
    {
        // Deleting a namespace deletes the veth end inside it, and with it the other end.
        await TryIpAsync("netns", "del", NamespaceA);
        await TryIpAsync("netns", "del", NamespaceB);
    }

    private static async Task TryIpAsync(params string[] args)
    {
        try
        {
            await IpAsync(args);
        }
        catch (InvalidOperationException)
        {
        }
    }

    private static async Task IpAsync(params string[] args)
    {
        var info = new ProcessStartInfo("ip") { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        using var process = Process.Start(info)!;
        var stderr = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"ip {string.Join(' ', args)} failed ({process.ExitCode}): {stderr.Trim()}");
        }
    }
}
