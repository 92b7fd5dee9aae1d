using MeshLlm.Identity;
using MeshLlm.Inference;
using MeshLlm.Membership;
using MeshLlm.Membership.Messages;
using MeshLlm.Planning;

namespace MeshLlm.Console;

/// <summary>Builds the <see cref="StatusDocument"/> from the membership snapshot and this node's served models.</summary>
public static class StatusReport
{
    public static StatusDocument Create(MembershipSnapshot snapshot, string? token, int apiPort, IReadOnlyList<ServedModel> models, DemandTracker? demand = null, SplitPlan? split = null)
    {
        var mesh = demand?.MeshDemand(snapshot);
        var rates = mesh is null ? null : demand!.RatesPerMinute(mesh);
        var self = snapshot.Self;
        var id = NodeId.TryParse(self.Id, out var parsed) ? parsed.ToShortString() : self.Id;
        return new StatusDocument
        {
            NodeId = self.Id,
            ShortId = id,
            MeshId = snapshot.Mesh,
            Token = token,
            Role = self.Role,
            Version = self.Version,
            Client = self.Role == PeerRoles.Client,
            ApiPort = apiPort,
            Serving = [.. models.Select(m => new StatusModel(m.Name, ServingStatusNames.Of(m.Status), m.Backend))],
            Peers = [.. snapshot.Peers.Select(Peer)],
            Clients = snapshot.Clients,
            Demand = mesh?.ToDictionary(d => d.Key, d => new StatusDemand(d.Value.Count, d.Value.LastActiveMs, rates![d.Key]), StringComparer.Ordinal)
                ?? new Dictionary<string, StatusDemand>(),
            Split = split is null ? null : Split(split, snapshot),
        };
    }

    private static StatusSplit Split(SplitPlan plan, MembershipSnapshot snapshot) => new()
    {
        Role = plan.Role.ToString().ToLowerInvariant(),
        Host = plan.Host?.ToShortString(),
        // RTT now, not when planned: the partners stay while they stay under the cap.
        Partners = [.. plan.Partners.Select(p => new StatusSplitPartner(p.Id.Hex, p.Id.ToShortString(), p.VramBytes, snapshot.Find(p.Id)?.RttMs ?? p.RttMs, Math.Round(p.Share, 4)))],
        HostShare = Math.Round(plan.HostShare, 4),
        TensorSplit = plan.Partners.IsEmpty ? null : plan.TensorSplit,
        ShortfallBytes = plan.ShortfallBytes,
        Reason = plan.Reason,
    };

    private static StatusPeer Peer(PeerSnapshot peer) => new()
    {
        Id = peer.Id.Hex,
        ShortId = peer.Id.ToShortString(),
        Role = peer.Announcement.Role,
        State = peer.Health == PeerHealth.Suspected ? "suspected" : "alive",
        RttMs = peer.RttMs,
        Serving = peer.Announcement.Serving,
        ModelState = peer.Announcement.ModelState,
        Backend = peer.Announcement.Backend,
        VramBytes = peer.Announcement.VramBytes,
        Split = peer.Announcement.Split?.Role,
        Addresses = peer.Announcement.Addresses,
        Connected = peer.Connected,
    };
}
