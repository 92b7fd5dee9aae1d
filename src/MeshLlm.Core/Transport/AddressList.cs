using System.Globalization;
using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;

namespace MeshLlm.Transport;

/// <summary>Builds and parses the <c>host:port</c> addresses that tokens and announcements carry.</summary>
public static class AddressList
{
    /// <summary><c>--advertise</c> values first (a bare host gets the mesh port), then interface addresses, loopback last.</summary>
    public static IReadOnlyList<string> Build(TransportOptions options, int port)
    {
        var list = new List<string>();
        foreach (var advertised in options.Advertise)
        {
            list.Add(WithPort(advertised, port));
        }

        if (options.AdvertiseInterfaces)
        {
            var ips = NetworkInterface.GetAllNetworkInterfaces()
                .Where(n => n.OperationalStatus is OperationalStatus.Up or OperationalStatus.Unknown)
                .SelectMany(n => n.GetIPProperties().UnicastAddresses)
                .Select(u => u.Address)
                .Where(a => a.AddressFamily == AddressFamily.InterNetwork || (a.AddressFamily == AddressFamily.InterNetworkV6 && !a.IsIPv6LinkLocal && options.BindAddress != "0.0.0.0"))
                .OrderBy(IPAddress.IsLoopback);
            list.AddRange(ips.Select(a => Format(a, port)));
        }

        return [.. list.Distinct()];
    }

    /// <summary>A bare host or IP gets <paramref name="port"/>; <c>host:port</c> is kept.</summary>
    public static string WithPort(string hostOrHostPort, int port) =>
        Identity.InviteToken.IsHostPort(hostOrHostPort) ? hostOrHostPort
        : IPAddress.TryParse(hostOrHostPort.Trim('[', ']'), out var ip) ? Format(ip, port)
        : $"{hostOrHostPort}:{port}";

    /// <summary>True for a value <c>--advertise</c> accepts: <c>host</c>, <c>host:port</c>, an IP or <c>[v6]:port</c>.</summary>
    public static bool IsAdvertisable(string text) =>
        Identity.InviteToken.IsHostPort(text) || Identity.InviteToken.IsHostPort(WithPort(text, 1));

    public static string Format(IPAddress address, int port) =>
        address.AddressFamily == AddressFamily.InterNetworkV6 ? $"[{address}]:{port}" : $"{address}:{port}";

    public static EndPoint ToEndPoint(string hostPort)
    {
        var colon = hostPort.LastIndexOf(':');
        var host = hostPort[..colon].Trim('[', ']');
        var port = int.Parse(hostPort.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture);
        return IPAddress.TryParse(host, out var ip) ? new IPEndPoint(ip, port) : new DnsEndPoint(host, port);
    }
}
