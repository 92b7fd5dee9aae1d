using Microsoft.Extensions.Logging;

namespace MeshLlm.Transport;

public sealed partial class MeshTransport
{
    [LoggerMessage(EventId = 1001, Level = LogLevel.Debug, Message = "Connection {Peer} {How} ({EndPoint}, client={Client})")]
    private static partial void LogConnected(ILogger logger, string peer, string how, string endPoint, bool client);

    [LoggerMessage(EventId = 1002, Level = LogLevel.Debug, Message = "Connection to {Peer} #{Serial} closed")]
    private static partial void LogDisconnected(ILogger logger, string peer, long serial);

    [LoggerMessage(EventId = 1003, Level = LogLevel.Warning, Message = "Refused connection from {EndPoint}: {Reason}")]
    private static partial void LogRejected(ILogger logger, string endPoint, string reason);

    [LoggerMessage(EventId = 1004, Level = LogLevel.Debug, Message = "Connection to {Peer} #{Old} replaced by #{New}")]
    private static partial void LogReplaced(ILogger logger, string peer, long old, long @new);

    [LoggerMessage(EventId = 1005, Level = LogLevel.Warning, Message = "Closed a channel from {Peer}: {Reason}")]
    private static partial void LogBadChannel(ILogger logger, string peer, string reason);
}
