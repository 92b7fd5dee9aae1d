using System.Globalization;

namespace MeshLlm.Discovery.Nostr;

/// <summary>Builders for the standard events mesh-llm publishes besides its listings.</summary>
public static class NostrEvents
{
    public const int DeletionKind = 5;

    /// <summary>True for NIP-01 addressable (parameterized replaceable) kinds, 30000–39999.</summary>
    public static bool IsAddressable(int kind) => kind is >= 30000 and < 40000;

    /// <summary>
    /// A NIP-09 deletion request (kind 5) for <paramref name="events"/>: an <c>e</c> tag per id, an <c>a</c> tag
    /// <c>kind:pubkey:d</c> per addressable event (so later versions of the same address go too), and a <c>k</c>
    /// tag per kind. Relays honour it only for events by the same key.
    /// </summary>
    public static NostrEvent Deletion(NostrKey key, IEnumerable<NostrEvent> events, string reason, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(events);
        var list = events.ToList();
        var tags = new List<IReadOnlyList<string>>();
        tags.AddRange(list.Select(e => e.Id).Distinct().Select(id => (IReadOnlyList<string>)["e", id]));
        tags.AddRange(list
            .Where(e => IsAddressable(e.Kind) && e.FirstTag("d") is not null)
            .Select(e => string.Create(CultureInfo.InvariantCulture, $"{e.Kind}:{e.PubKey}:{e.FirstTag("d")}"))
            .Distinct()
            .Select(a => (IReadOnlyList<string>)["a", a]));
        tags.AddRange(list
            .Select(e => e.Kind.ToString(CultureInfo.InvariantCulture))
            .Distinct()
            .Select(k => (IReadOnlyList<string>)["k", k]));
        return key.Sign(DeletionKind, tags, reason ?? "", now);
    }
}
