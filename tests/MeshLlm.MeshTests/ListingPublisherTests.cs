using MeshLlm.Discovery;
using MeshLlm.Discovery.Nostr;
using MeshLlm.Identity;
using MeshLlm.Models;
using MeshLlm.Planning;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace MeshLlm.MeshTests;

/// <summary>The publisher never takes the node down: an unusable Nostr key leaves the node serving, unlisted, with the reason.</summary>
public sealed class ListingPublisherTests
{
    [Fact]
    public async Task UnusableNostrKey_NoListing_ReasonShown_ServiceEndsCleanly()
    {
        await using var mesh = new TestMesh();
        var node = await mesh.StartAsync("a");
        await using var relays = new NostrRelayPool([new Uri("ws://127.0.0.1:9")], TimeProvider.System, NullLogger<NostrRelayPool>.Instance);
        using var publisher = new ListingPublisher(node.Node, relays,
            () => throw new IdentityException("The Nostr key /x/nostr.nsec is readable or writable by other users; run: chmod 600 /x/nostr.nsec"),
            new DemandTracker(TimeProvider.System), ModelCatalog.LoadEmbedded(), Options.Create(new DiscoveryOptions()), null, TimeProvider.System,
            NullLogger<ListingPublisher>.Instance);

        await publisher.StartAsync(TestContext.Current.CancellationToken);
        publisher.Enable("test");
        await publisher.ExecuteTask!.WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);

        Assert.True(publisher.ExecuteTask.IsCompletedSuccessfully);
        Assert.False(publisher.IsListed);
        Assert.StartsWith("not publishing: The Nostr key", publisher.Reason, StringComparison.Ordinal);
        await publisher.StopAsync(TestContext.Current.CancellationToken);
    }
}
