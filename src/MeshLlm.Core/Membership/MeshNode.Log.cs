using Microsoft.Extensions.Logging;

namespace MeshLlm.Membership;

public sealed partial class MeshNode
{
    [LoggerMessage(EventId = 2001, Level = LogLevel.Information, Message = "Joined mesh {Mesh} through {Peer}; {Peers} peer(s) known")]
    private static partial void LogJoined(ILogger logger, string mesh, string peer, int peers);

    [LoggerMessage(EventId = 2002, Level = LogLevel.Information, Message = "Peer up: {Peer} ({Role}, serving {Serving}) via {Via}")]
    private static partial void LogPeerUp(ILogger logger, string peer, string role, string serving, string via);

    [LoggerMessage(EventId = 2003, Level = LogLevel.Warning, Message = "Peer suspected: {Peer} ({Reason})")]
    private static partial void LogSuspected(ILogger logger, string peer, string reason);

    [LoggerMessage(EventId = 2004, Level = LogLevel.Warning, Message = "Peer dead: {Peer} ({Reason})")]
    private static partial void LogDead(ILogger logger, string peer, string reason);

    [LoggerMessage(EventId = 2005, Level = LogLevel.Information, Message = "Peer recovered: {Peer} (rtt {RttMs:0.##} ms)")]
    private static partial void LogRecovered(ILogger logger, string peer, double rttMs);

    [LoggerMessage(EventId = 2006, Level = LogLevel.Information, Message = "Peer left: {Peer}")]
    private static partial void LogPeerLeft(ILogger logger, string peer);

    [LoggerMessage(EventId = 2007, Level = LogLevel.Information, Message = "Peer reconnected: {Peer} (was dead)")]
    private static partial void LogReconnected(ILogger logger, string peer);

    [LoggerMessage(EventId = 2008, Level = LogLevel.Information, Message = "Peer {Peer} reported dead by {Reporter}: {Action}")]
    private static partial void LogReportedDead(ILogger logger, string peer, string reporter, string action);

    [LoggerMessage(EventId = 2009, Level = LogLevel.Warning, Message = "Could not join through {Peer}: {Reason}")]
    private static partial void LogJoinFailed(ILogger logger, string peer, string reason);

    [LoggerMessage(EventId = 2010, Level = LogLevel.Information, Message = "Left the mesh: told {Peers} peer(s)")]
    private static partial void LogLeft(ILogger logger, int peers);

    [LoggerMessage(EventId = 2011, Level = LogLevel.Debug, Message = "Ping to {Peer} missed ({Missed}/{Limit}): {Reason}")]
    private static partial void LogPingMissed(ILogger logger, string peer, int missed, int limit, string reason);

    [LoggerMessage(EventId = 2012, Level = LogLevel.Debug, Message = "Frame {Direction}: {Kind} with {Entries} entries, peer {Peer}")]
    private static partial void LogFrame(ILogger logger, string direction, string kind, string peer, int entries);

    [LoggerMessage(EventId = 2013, Level = LogLevel.Debug, Message = "Gossip with {Peer} failed: {Reason}")]
    private static partial void LogGossipFailed(ILogger logger, string peer, string reason);

    [LoggerMessage(EventId = 2014, Level = LogLevel.Debug, Message = "Dial to {Peer} ({Why}) failed: {Reason}")]
    private static partial void LogDialFailed(ILogger logger, string peer, string why, string reason);

    [LoggerMessage(EventId = 2015, Level = LogLevel.Information, Message = "Routing table from {Peer}: {Nodes} node(s)")]
    private static partial void LogRoutingTable(ILogger logger, string peer, int nodes);

    [LoggerMessage(EventId = 2016, Level = LogLevel.Error, Message = "A membership loop failed; it keeps running")]
    private static partial void LogLoopFailed(ILogger logger, Exception exception);
}
