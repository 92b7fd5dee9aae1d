using MeshLlm.Console;
using MeshLlm.Membership;
using MeshLlm.Planning;
using MeshLlm.Transport;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace MeshLlm.Hosting;

/// <summary>Registers the mesh node, its options (section <c>Mesh</c>) and the console options (section <c>Console</c>).</summary>
internal static class MeshHosting
{
    public static IServiceCollection AddMeshNode(this IServiceCollection services, MeshSetup setup)
    {
        services.AddOptions<MembershipOptions>().BindConfiguration(MembershipOptions.Section)
            .Validate(o => Positive(o.PingInterval, o.PingTimeout, o.ConfirmTimeout, o.DeadTtl, o.RejoinInterval, o.GossipInterval, o.ClientRefreshInterval, o.LeaveTimeout),
                "Mesh: every interval and timeout (PingInterval, PingTimeout, ConfirmTimeout, DeadTtl, RejoinInterval, GossipInterval, ClientRefreshInterval, LeaveTimeout) must be positive.")
            .Validate(o => o.MissedPings >= 1, "Mesh:MissedPings must be at least 1.")
            .Validate(o => o.GossipFanout >= 1, "Mesh:GossipFanout must be at least 1.");
        services.AddOptions<TransportOptions>().BindConfiguration(MembershipOptions.Section)
            .Validate(o => o.BindPort is >= 0 and <= 65535, "Mesh:BindPort must be between 0 and 65535.")
            .Validate(o => System.Net.IPAddress.TryParse(o.BindAddress, out _), "Mesh:BindAddress must be an IP address.")
            .Validate(o => Positive(o.ConnectTimeout, o.HandshakeTimeout, o.ChannelOpenTimeout), "Mesh: ConnectTimeout, HandshakeTimeout and ChannelOpenTimeout must be positive.");
        services.AddOptions<ConsoleOptions>().BindConfiguration(ConsoleOptions.Section)
            .Validate(o => o.Port is >= 0 and <= 65535, "Console:Port must be between 0 and 65535.");
        services.AddSingleton(setup);
        services.AddSingleton(sp => new MeshNode(
            setup.Key,
            setup.Credentials,
            setup.Joins,
            sp.GetRequiredService<IOptions<MembershipOptions>>().Value,
            sp.GetRequiredService<IOptions<TransportOptions>>().Value,
            sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<ILoggerFactory>()));
        services.AddSingleton<DemandTracker>();
        services.AddSingleton<MeshService>();
        services.AddHostedService(sp => sp.GetRequiredService<MeshService>());
        return services;
    }

    private static bool Positive(params ReadOnlySpan<TimeSpan> values)
    {
        foreach (var value in values)
        {
            if (value <= TimeSpan.Zero)
            {
                return false;
            }
        }

        return true;
    }
}
