using System.Collections.Immutable;
using MeshLlm.Identity;
using MeshLlm.Membership.Messages;

namespace MeshLlm.Membership;

/// <summary>An immutable view of the mesh, published after every change; readers never lock.</summary>
public sealed record MembershipSnapshot(
    long Version,
    PeerAnnouncement Self,
    string? Mesh,
    ImmutableArray<PeerSnapshot> Peers,
    int Clients)
{
    public PeerSnapshot? Find(NodeId id) => Peers.FirstOrDefault(p => p.Id == id);
}

/// <summary>One peer in a <see cref="MembershipSnapshot"/>.</summary>
public sealed record PeerSnapshot(NodeId Id, PeerAnnouncement Announcement, PeerHealth Health, double? RttMs, bool Connected);
