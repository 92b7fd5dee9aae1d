using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using MeshLlm.Discovery;
using MeshLlm.Hosting;
using Microsoft.Extensions.Logging;

namespace MeshLlm.Commands;

/// <summary><c>mesh-llm discover</c>: the meshes published on Nostr, ranked as <c>--auto</c> ranks them.</summary>
internal static class DiscoverCommand
{
    private static readonly Option<string?> s_model = new("--model") { Description = "Only meshes serving, wanting or holding a model whose name contains this.", HelpName = "TEXT" };

    private static readonly Option<string?> s_region = new("--region") { Description = "Only meshes of this region (and prefer them, as --auto does).", HelpName = "REGION" };

    private static readonly Option<double?> s_minVram = new("--min-vram") { Description = "Only meshes with at least this much memory in all, in GB.", HelpName = "GB" };

    private static readonly Option<string?> s_meshName = new("--mesh-name") { Description = "Rank as `--auto --mesh-name NAME` would: only meshes of that name are candidates.", HelpName = "NAME" };

    private static readonly Option<bool> s_json = new("--json") { Description = "Print JSON for scripts." };

    private static readonly Option<bool> s_auto = new("--auto")
    {
        Description = "Print only the best mesh's invite token on stdout, for `mesh-llm --join $(mesh-llm discover --auto)`; exit 9 when there is none.",
    };

    private static readonly Option<string[]> s_relays = new("--nostr-relay", "--relay") { Description = "Relay to ask (repeatable; replaces the defaults).", HelpName = "URL" };

    public static Command Create()
    {
        var command = new Command("discover", "List the meshes published on Nostr, ranked as --auto ranks them (docs/DISCOVERY.md), with why others are skipped.");
        foreach (var option in new Option[] { s_model, s_region, s_minVram, s_meshName, s_json, s_auto, s_relays })
        {
            command.Options.Add(option);
        }

        s_minVram.Validators.Add(r => { if (r.GetValue(s_minVram) is < 0) r.AddError("--min-vram must be 0 or more GB."); });
        s_relays.Validators.Add(r =>
        {
            foreach (var relay in r.GetValue(s_relays) ?? [])
            {
                if (DiscoveryOptions.CheckRelay(relay) is { } problem)
                {
                    r.AddError("--nostr-relay: " + problem);
                }
            }
        });
        command.SetAction((result, cancellationToken) => RunAsync(result, cancellationToken));
        return command;
    }

    private static async Task<int> RunAsync(ParseResult result, CancellationToken cancellationToken)
    {
        var ui = new TerminalConsoleUi();
        var options = new DiscoveryOptions { Relays = [.. result.GetValue(s_relays) ?? []], Region = result.GetValue(s_region) };
        using var loggers = LoggerFactory.Create(new LoggingSettings("warning", "text").Apply);
        RankedMeshes ranked;
        try
        {
            ranked = await AutoJoin.RankAsync(options, result.GetValue(s_meshName), MeshHome.Path, loggers, cancellationToken);
        }
        catch (CommandException e)
        {
            ui.Error(e.Message);
            return e.ExitCode;
        }

        var filter = Filter(result);
        var meshes = ranked.Meshes.Where(m => filter(m.Mesh)).ToList();
        var skipped = ranked.Skipped.Where(m => filter(m.Mesh)).ToList();
        var now = ranked.Context.Now;
        if (result.GetValue(s_auto))
        {
            if (meshes.Count == 0)
            {
                ui.Error("No mesh to join was found" + (skipped.Count > 0 ? $" ({skipped.Count} skipped; run `mesh-llm discover` to see why)." : "."));
                return ExitCodes.NoMeshFound;
            }

            System.Console.Out.WriteLine(meshes[0].Mesh.Listing.InviteToken);
            return ExitCodes.Ok;
        }

        if (result.GetValue(s_json))
        {
            var document = new DiscoverDocument(
                [.. meshes.Select(m => Row(m.Mesh, m.Score.Total, null, now)).Concat(skipped.Select(s => Row(s.Mesh, null, s.Reason, now)))],
                [.. ranked.Rejected.Select(r => new DiscoverRejected(r.Publisher, r.Reason))]);
            ui.Info(JsonSerializer.Serialize(document, DiscoverJsonContext.Default.DiscoverDocument));
            return ExitCodes.Ok;
        }

        if (meshes.Count + skipped.Count == 0)
        {
            ui.Info("No meshes found." + (HasFilter(result) ? " Try broader filters." : "") + " Start one: mesh-llm --auto (or --model NAME --publish).");
            return ExitCodes.Ok;
        }

        var rows = meshes.Select((m, i) => Cells((i + 1).ToString(CultureInfo.InvariantCulture), m.Mesh, m.Score.Total.ToString("0", CultureInfo.InvariantCulture), now))
            .Concat(skipped.Select(s => Cells("-", s.Mesh, "skip", now)));
        foreach (var line in Table.Format(["#", "NAME", "SCORE", "NODES", "MEMORY", "MODELS", "REGION", "UPTIME", "LISTED"], rows, rightAligned: [2, 3, 4]))
        {
            ui.Info(line);
        }

        foreach (var (mesh, reason) in skipped)
        {
            ui.Info($"skipped {mesh.Listing.Name ?? "(unnamed)"}: {reason}");
        }

        if (meshes.Count > 0)
        {
            ui.Info("");
            ui.Info("Join the best: mesh-llm --auto   (or mesh-llm --join $(mesh-llm discover --auto))");
        }

        return ExitCodes.Ok;
    }

    private static Func<DiscoveredMesh, bool> Filter(ParseResult result)
    {
        var model = result.GetValue(s_model);
        var region = result.GetValue(s_region);
        var minBytes = (result.GetValue(s_minVram) ?? 0) * 1e9;
        return mesh =>
            (model is null || mesh.Listing.Serving.Concat(mesh.Listing.Wanted).Concat(mesh.Listing.OnDisk).Any(n => n.Contains(model, StringComparison.OrdinalIgnoreCase)))
            && (region is null || string.Equals(mesh.Listing.Region, region, StringComparison.OrdinalIgnoreCase))
            && mesh.Listing.TotalVramBytes >= minBytes;
    }

    private static bool HasFilter(ParseResult result) =>
        result.GetValue(s_model) is not null || result.GetValue(s_region) is not null || result.GetValue(s_minVram) is not null;

    private static string[] Cells(string rank, DiscoveredMesh mesh, string score, DateTimeOffset now)
    {
        var listing = mesh.Listing;
        var models = listing.Serving.Count == 0 ? "(none ready)" : string.Join(", ", listing.Serving);
        return
        [
            rank, listing.Name ?? "(unnamed)", score, listing.NodeCount.ToString(CultureInfo.InvariantCulture),
            Planning.NodeCapacity.Describe(listing.TotalVramBytes), models, listing.Region ?? "-",
            mesh.Uptime(now) is { } up ? Uptime(up) : "?", $"{mesh.Freshness(now)} ({Age(now - mesh.PublishedAt)} ago)",
        ];
    }

    internal static string Uptime(TimeSpan up) => up switch
    {
        { TotalDays: >= 1 } => $"{(int)up.TotalDays}d {up.Hours}h",
        { TotalHours: >= 1 } => $"{(int)up.TotalHours}h {up.Minutes}m",
        _ => $"{(int)up.TotalMinutes}m",
    };

    private static string Age(TimeSpan age) => age.TotalSeconds < 90 ? $"{Math.Max(0, (int)age.TotalSeconds)}s" : $"{(int)age.TotalMinutes}m";

    private static DiscoverRow Row(DiscoveredMesh mesh, double? score, string? skipped, DateTimeOffset now) =>
        new(mesh.Listing.Name, mesh.Listing.MeshId, score, skipped, mesh.Listing.NodeCount, mesh.Listing.ClientCount, mesh.Listing.MaxClients,
            mesh.Listing.TotalVramBytes, mesh.Listing.Serving, mesh.Listing.Wanted, mesh.Listing.Region, (long?)mesh.Uptime(now)?.TotalSeconds,
            mesh.PublishedAt.ToUnixTimeSeconds(), mesh.Freshness(now), mesh.Publisher, mesh.Listing.InviteToken);
}

internal sealed record DiscoverRow(
    [property: JsonPropertyName("name")] string? Name,
    [property: JsonPropertyName("mesh_id")] string? MeshId,
    [property: JsonPropertyName("score")] double? Score,
    [property: JsonPropertyName("skipped")] string? Skipped,
    [property: JsonPropertyName("nodes")] int Nodes,
    [property: JsonPropertyName("clients")] int Clients,
    [property: JsonPropertyName("max_clients")] int MaxClients,
    [property: JsonPropertyName("memory_bytes")] long MemoryBytes,
    [property: JsonPropertyName("serving")] IReadOnlyList<string> Serving,
    [property: JsonPropertyName("wanted")] IReadOnlyList<string> Wanted,
    [property: JsonPropertyName("region")] string? Region,
    [property: JsonPropertyName("uptime_seconds")] long? UptimeSeconds,
    [property: JsonPropertyName("published_at")] long PublishedAt,
    [property: JsonPropertyName("freshness")] string Freshness,
    [property: JsonPropertyName("publisher")] string Publisher,
    [property: JsonPropertyName("invite_token")] string InviteToken);

internal sealed record DiscoverRejected(
    [property: JsonPropertyName("publisher")] string Publisher,
    [property: JsonPropertyName("reason")] string Reason);

internal sealed record DiscoverDocument(
    [property: JsonPropertyName("meshes")] IReadOnlyList<DiscoverRow> Meshes,
    [property: JsonPropertyName("rejected")] IReadOnlyList<DiscoverRejected> Rejected);

[JsonSerializable(typeof(DiscoverDocument))]
[JsonSourceGenerationOptions(WriteIndented = true)]
internal sealed partial class DiscoverJsonContext : JsonSerializerContext;
