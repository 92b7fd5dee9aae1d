using MeshLlm.Discovery;
using MeshLlm.Discovery.Nostr;
using MeshLlm.Membership;
using MeshLlm.Models;
using MeshLlm.Planning;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace MeshLlm.Hosting;

/// <summary>Registers Nostr publishing and, for <c>--auto</c>, the takeover watchdog and the first-run model (section <c>Discovery</c>).</summary>
internal static class DiscoveryHosting
{
    public static IServiceCollection AddDiscovery(this IServiceCollection services, MeshSetup setup, MembershipOptions mesh)
    {
        ArgumentNullException.ThrowIfNull(setup);
        ArgumentNullException.ThrowIfNull(mesh);
        // ServeCommand reports DiscoveryOptions.Problem() before anything starts; this is the backstop.
        services.AddOptions<DiscoveryOptions>().BindConfiguration(DiscoveryOptions.Section)
            .Validate(o => o.Problem() is null, "Discovery settings are invalid: check Discovery:Relays, MaxClients, PublishInterval, ListingTtl and the watchdog timings.");
        services.AddSingleton(sp => new NostrRelayPool(
            sp.GetRequiredService<IOptions<DiscoveryOptions>>().Value.RelayUris(), sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<NostrRelayPool>>()));
        services.AddSingleton<MeshDiscovery>();
        if (mesh.Client)
        {
            return services;
        }

        services.AddSingleton(sp => new ListingPublisher(
            sp.GetRequiredService<MeshNode>(),
            sp.GetRequiredService<NostrRelayPool>(),
            () => NostrKey.LoadOrCreate(Path.Combine(setup.Home, NostrKey.FileName)),
            sp.GetRequiredService<DemandTracker>(),
            ModelCatalog.Shared,
            sp.GetRequiredService<IOptions<DiscoveryOptions>>(),
            mesh.MeshName,
            sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<ILogger<ListingPublisher>>()));
        services.AddHostedService(sp => sp.GetRequiredService<ListingPublisher>());
        if (setup.Auto)
        {
            services.AddHostedService<AutoService>();
        }

        return services;
    }
}
