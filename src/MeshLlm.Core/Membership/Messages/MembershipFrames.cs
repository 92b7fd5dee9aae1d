using System.Text.Json.Serialization;

namespace MeshLlm.Membership.Messages;

/// <summary>Gossip (channel 0x01): the opener sends entries; the responder merges them and answers with its
/// whole table when <see cref="Full"/> is set, else with no entries.</summary>
public sealed record GossipFrame(
    [property: JsonPropertyName("v")] int Version,
    [property: JsonPropertyName("full")] bool Full,
    [property: JsonPropertyName("entries")] IReadOnlyList<PeerAnnouncement> Entries);

/// <summary>Ping (channel 0x08): echoed back unchanged.</summary>
public sealed record PingFrame(
    [property: JsonPropertyName("v")] int Version,
    [property: JsonPropertyName("n")] long Number);

/// <summary>Peer down (channel 0x06): the sender confirmed <see cref="Id"/> dead by a fresh dial. Receivers check for themselves.</summary>
public sealed record PeerDownFrame(
    [property: JsonPropertyName("v")] int Version,
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("seq")] long Seq);

/// <summary>Peer leaving (channel 0x07): always about the sender itself, whatever else it says.</summary>
public sealed record LeaveFrame([property: JsonPropertyName("v")] int Version);

/// <summary>Routing table (channel 0x05): the client sends a request, the node answers with the table. The request
/// carries the requests the client routed since its last report (<see cref="Demand"/>), which the node counts as its own.</summary>
public sealed record RoutingRequestFrame(
    [property: JsonPropertyName("v")] int Version,
    [property: JsonPropertyName("demand")] IReadOnlyDictionary<string, ModelDemand>? Demand = null);

/// <summary>The mesh as a passive client needs it: every live node's announcement, the answering node's included.</summary>
public sealed record RoutingTableFrame(
    [property: JsonPropertyName("v")] int Version,
    [property: JsonPropertyName("mesh")] string? Mesh,
    [property: JsonPropertyName("nodes")] IReadOnlyList<PeerAnnouncement> Nodes);

[JsonSerializable(typeof(GossipFrame))]
[JsonSerializable(typeof(PingFrame))]
[JsonSerializable(typeof(PeerDownFrame))]
[JsonSerializable(typeof(LeaveFrame))]
[JsonSerializable(typeof(RoutingRequestFrame))]
[JsonSerializable(typeof(RoutingTableFrame))]
internal sealed partial class MembershipJsonContext : JsonSerializerContext;
