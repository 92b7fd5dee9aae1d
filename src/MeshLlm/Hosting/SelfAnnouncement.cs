using MeshLlm.Console;
using MeshLlm.Inference;
using MeshLlm.Membership.Messages;

namespace MeshLlm.Hosting;

/// <summary>
/// Mirrors what this node serves (<see cref="ServingState"/>) into its mesh announcement. It lives here, in the
/// composition root, because membership never references inference (DESIGN.md §4).
/// </summary>
internal static class SelfAnnouncement
{
    public static PeerAnnouncement Apply(PeerAnnouncement self, IReadOnlyList<ServedModel> models, bool client, long memoryBytes)
    {
        if (client)
        {
            return self;
        }

        var model = models.Count > 0 ? models[0] : null;
        return self with
        {
            Serving = model?.Name,
            ModelState = model is null ? null : ServingStatusNames.Of(model.Status),
            Backend = model?.Backend,
            Role = model?.Status switch
            {
                ServingStatus.Ready => PeerRoles.Host,
                ServingStatus.Lending => PeerRoles.Worker,
                _ => PeerRoles.Standby,
            },
            VramBytes = memoryBytes,
        };
    }
}
