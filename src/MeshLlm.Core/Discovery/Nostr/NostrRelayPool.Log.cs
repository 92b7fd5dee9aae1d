using Microsoft.Extensions.Logging;

namespace MeshLlm.Discovery.Nostr;

public sealed partial class NostrRelayPool
{
    /// <summary>Discovery's relay events, 7000–7049 (Discovery owns 7000–7999).</summary>
    internal static partial class Log
    {
        [LoggerMessage(EventId = 7000, Level = LogLevel.Debug, Message = "Connected to relay {Relay}")]
        public static partial void RelayConnected(ILogger logger, Uri relay);

        [LoggerMessage(EventId = 7001, Level = LogLevel.Warning, Message = "Relay {Relay} unreachable: {Reason}; using the other relays")]
        public static partial void RelayUnreachable(ILogger logger, Uri relay, string reason);

        [LoggerMessage(EventId = 7002, Level = LogLevel.Debug, Message = "Relay {Relay} still unreachable: {Reason}")]
        public static partial void RelayStillUnreachable(ILogger logger, Uri relay, string reason);

        [LoggerMessage(EventId = 7003, Level = LogLevel.Warning, Message = "Connection to relay {Relay} lost: {Reason}; reconnecting on next use")]
        public static partial void RelayConnectionLost(ILogger logger, Uri relay, string reason);

        [LoggerMessage(EventId = 7004, Level = LogLevel.Debug, Message = "Relay {Relay} notice: {Notice}")]
        public static partial void RelayNotice(ILogger logger, Uri relay, string notice);

        [LoggerMessage(EventId = 7005, Level = LogLevel.Debug, Message = "Ignored a malformed message from relay {Relay}: {Reason}")]
        public static partial void MalformedMessage(ILogger logger, Uri relay, string reason);

        [LoggerMessage(EventId = 7006, Level = LogLevel.Warning, Message = "Dropped a {Bytes}-byte message from relay {Relay} (limit {MaxBytes} bytes)")]
        public static partial void OversizeMessageDropped(ILogger logger, Uri relay, long bytes, int maxBytes);

        [LoggerMessage(EventId = 7007, Level = LogLevel.Debug, Message = "Dropped event {EventId} from relay {Relay}: {Reason}")]
        public static partial void EventDropped(ILogger logger, string eventId, Uri relay, string reason);

        [LoggerMessage(EventId = 7008, Level = LogLevel.Debug, Message = "Relay {Relay} did not take event {EventId}: {Failure}, {Reason}")]
        public static partial void PublishFailed(ILogger logger, Uri relay, string eventId, RelayFailureKind failure, string reason);

        [LoggerMessage(EventId = 7009, Level = LogLevel.Debug, Message = "Query to relay {Relay} failed: {Reason}")]
        public static partial void QueryFailed(ILogger logger, Uri relay, string reason);

        [LoggerMessage(EventId = 7010, Level = LogLevel.Debug, Message = "Relay {Relay} sent no EOSE for {SubscriptionId} in time; keeping its {Events} event(s)")]
        public static partial void QueryTimedOut(ILogger logger, Uri relay, string subscriptionId, int events);

        [LoggerMessage(EventId = 7011, Level = LogLevel.Debug, Message = "Relay {Relay} closed subscription {SubscriptionId}: {Reason}")]
        public static partial void SubscriptionClosed(ILogger logger, Uri relay, string subscriptionId, string reason);

        [LoggerMessage(EventId = 7012, Level = LogLevel.Warning, Message = "Relay {Relay} sent more than {MaxEvents} events for one query; ignoring the rest")]
        public static partial void TooManyEvents(ILogger logger, Uri relay, int maxEvents);
    }
}
