namespace MeshLlm.Discovery.Nostr;

/// <summary>What a <see cref="SubscriptionMessage"/> says: an event, <c>EOSE</c>, <c>CLOSED</c>, or that the connection broke.</summary>
internal enum SubscriptionMessageKind
{
    Event,
    EndOfStoredEvents,
    Closed,
    ConnectionLost,
}

/// <summary>One relay message for one subscription.</summary>
internal readonly record struct SubscriptionMessage(SubscriptionMessageKind Kind, NostrEvent? Event, string Text)
{
    public static SubscriptionMessage EndOfStoredEvents => new(SubscriptionMessageKind.EndOfStoredEvents, null, "");

    public static SubscriptionMessage Of(NostrEvent e) => new(SubscriptionMessageKind.Event, e, "");

    public static SubscriptionMessage Closed(string reason) => new(SubscriptionMessageKind.Closed, null, reason);

    public static SubscriptionMessage Lost(string reason) => new(SubscriptionMessageKind.ConnectionLost, null, reason);
}
