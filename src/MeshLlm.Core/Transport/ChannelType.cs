namespace MeshLlm.Transport;

/// <summary>The first byte of every mesh channel names what it carries (docs/protocol.md, "Channels").</summary>
/// <remarks>Version rule: a receiver closes a channel whose type it does not know; new types get new bytes.</remarks>
public enum ChannelType : byte
{
    Gossip = 0x01,
    RpcTunnel = 0x02,
    HttpTunnel = 0x04,
    RoutingTable = 0x05,
    PeerDown = 0x06,
    PeerLeaving = 0x07,
    Ping = 0x08,
}
