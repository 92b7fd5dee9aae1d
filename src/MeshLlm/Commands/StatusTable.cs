using System.Globalization;
using MeshLlm.Console;

namespace MeshLlm.Commands;

/// <summary>Renders a <see cref="StatusDocument"/> as the readable lines of <c>mesh-llm status</c>.</summary>
internal static class StatusTable
{
    private static readonly string[] s_header = ["PEER", "ROLE", "STATE", "RTT", "SERVING", "BACKEND", "MEMORY"];

    public static IEnumerable<string> Format(StatusDocument status)
    {
        var serving = status.Serving.Count == 0
            ? "nothing"
            : string.Join(", ", status.Serving.Select(m => $"{m.Model} ({m.State}, {m.Backend})"));
        yield return $"Node     {status.ShortId}  {status.Role}{(status.Client ? " (passive client)" : "")}, serving {serving}";
        foreach (var line in SplitLines(status.Split))
        {
            yield return line;
        }

        yield return $"Mesh     {status.MeshId ?? "-"}";
        yield return $"Version  {status.Version ?? "-"}";
        if (status.ApiPort > 0)
        {
            yield return $"API      http://127.0.0.1:{status.ApiPort}/v1";
        }

        if (status.Nostr is { Publishing: true } nostr)
        {
            yield return $"Nostr    {(nostr.Listed ? "listed" : "not listed")} as {nostr.Npub ?? "-"} on {string.Join(", ", nostr.Relays)}" +
                (nostr.Reason is null ? "" : $" ({nostr.Reason})");
        }

        var peerWord = status.Client ? "node(s) in the routing table" : "peer(s)";
        yield return $"Peers    {status.Peers.Count} {peerWord}" + (status.Clients > 0 ? $", {status.Clients} passive client(s) connected" : "");
        if (status.Peers.Count == 0)
        {
            yield break;
        }

        yield return "";
        foreach (var line in Table.Format(s_header, status.Peers.Select(Row)))
        {
            yield return line;
        }
    }

    private static IEnumerable<string> SplitLines(StatusSplit? split)
    {
        if (split is null || split.Role == "solo")
        {
            yield break;
        }

        yield return split.Role switch
        {
            "host" => $"Split    host, with {split.Partners.Count} partner(s); --tensor-split {split.TensorSplit} (partners in --rpc order, this node last)",
            "partner" => $"Split    partner of {split.Host}: this node's rpc-server is lent to the split",
            "waiting" => $"Split    waiting for {Memory(split.ShortfallBytes)} more memory",
            _ => $"Split    {split.Role}",
        };
        foreach (var p in split.Partners)
        {
            var rtt = p.RttMs is { } r ? r.ToString("0.0", CultureInfo.InvariantCulture) + " ms" : "RTT unknown";
            yield return $"           {p.ShortId}  {Memory(p.VramBytes)}, {rtt}, share {p.Share.ToString("0.00", CultureInfo.InvariantCulture)}";
        }

        yield return $"         why: {split.Reason}";
    }

    private static string[] Row(StatusPeer peer) =>
    [
        peer.ShortId,
        (peer.Role ?? "-") + (peer.Split is { } split ? $" (split {split})" : ""),
        peer.State + (peer.Connected ? "" : " (not connected)"),
        peer.RttMs is { } rtt ? rtt.ToString("0.0", CultureInfo.InvariantCulture) + " ms" : "-",
        peer.Serving is null ? "-" : $"{peer.Serving} ({peer.ModelState ?? "?"})",
        peer.Backend ?? "-",
        Memory(peer.VramBytes),
    ];

    private static string Memory(long bytes) =>
        bytes <= 0 ? "-" : Planning.NodeCapacity.Describe(bytes);
}
