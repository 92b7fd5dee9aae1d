using System.Globalization;
using MeshLlm.Models;
using MeshLlm.Planning;
using Microsoft.Extensions.Logging.Abstractions;

namespace MeshLlm.Hosting;

/// <summary>
/// Turns what the user typed for a model (a path, a catalog name or alias, a Hugging Face URL or
/// <c>org/repo/file.gguf</c>) into a file on disk, downloading it (and its catalog draft) into the models folder
/// when needed, with a progress line. Every failure is a <see cref="CommandException"/> with one line for the user.
/// </summary>
internal static class ModelAcquisition
{
    /// <summary>The model file to serve and, when the catalog pairs one and <paramref name="wantDraft"/>, its draft.</summary>
    public static async Task<(string Path, string Name, string? Draft)> AcquireAsync(
        string input, bool wantDraft, bool force, long usableBytes, TerminalConsoleUi ui, CancellationToken cancellationToken)
    {
        if (Directory.Exists(input))
        {
            return (input, input, null); // the file check says what is wrong
        }

        var catalog = LoadCatalog();
        var onDisk = LocalModels.Scan();
        switch (ModelResolver.Resolve(input, catalog, onDisk))
        {
            case Resolution.LocalFile local:
                var name = ModelName.FromPath(local.Path);
                // A file the user named: its draft is used when on disk, never fetched.
                return (local.Path, name, wantDraft ? await DraftAsync(catalog.Find(name), catalog, onDisk, fetch: false, ui, cancellationToken) : null);
            case Resolution.CatalogModel { Entry: var entry }:
                var path = onDisk.FirstOrDefault(m => m.Name == entry.Name)?.Path
                    ?? await DownloadAsync(entry, force, usableBytes, ui, cancellationToken);
                return (path, entry.Name, wantDraft ? await OptionalDraftAsync(entry, catalog, onDisk, ui, cancellationToken) : null);
            case Resolution.HubFiles hub:
                var first = await DownloadAsync(
                    [.. hub.Paths.Select(p => new DownloadPart(ModelDownloader.HubUrl(hub.Repo, p, hub.Branch ?? "main"), Destination(p)))], ui, cancellationToken);
                return (first, ModelName.FromPath(first), null);
            case Resolution.Ambiguous ambiguous:
                throw new CommandException(ambiguous.Message, ExitCodes.ModelInvalid);
            case Resolution.NotFound when input.EndsWith(".gguf", StringComparison.OrdinalIgnoreCase):
                return (input, ModelName.FromPath(input), null); // a path: the file check says it does not exist
            case Resolution.NotFound notFound:
                throw new CommandException(notFound.Message + (notFound.Suggestions.Count > 0 ? $" Did you mean: {string.Join(", ", notFound.Suggestions)}?" : "") +
                    " See `mesh-llm download` for the catalog.", ExitCodes.ModelInvalid);
            default:
                throw new CommandException($"'{input}' is not a model file, catalog name or Hugging Face file.", ExitCodes.ModelInvalid);
        }
    }

    public static ModelCatalog LoadCatalog()
    {
        try
        {
            return ModelCatalog.Load();
        }
        catch (ModelCatalogException e)
        {
            throw new CommandException(e.Message, ExitCodes.ConfigInvalid);
        }
    }

    /// <summary>Downloads a catalog model after checking it fits (unless <paramref name="force"/>); returns its first file.</summary>
    public static async Task<string> DownloadAsync(CatalogEntry entry, bool force, long usableBytes, TerminalConsoleUi ui, CancellationToken cancellationToken)
    {
        var need = SplitPlanner.Need(entry.SizeBytes);
        if (!force && need > usableBytes)
        {
            throw new CommandException(
                $"{entry.Name} needs {NodeCapacity.Describe(need)} and this machine offers {NodeCapacity.Describe(usableBytes)}. " +
                "Pick a smaller model (mesh-llm recommend), or add --force to download it anyway (a mesh can split it over several nodes).", ExitCodes.ModelInvalid);
        }

        ui.Info($"Downloading {entry.Name} ({NodeCapacity.Describe(entry.SizeBytes)}, {entry.Files.Count} file(s)) into {LocalModels.Folder}");
        // The catalog's sizes are approximate (docs/MODELS.md): the server's Content-Length and the hub's SHA-256
        // (X-Linked-Etag) decide; a catalog SHA-256, when known, is checked too.
        return await DownloadAsync([.. entry.Files.Select(f => new DownloadPart(ModelDownloader.HubUrl(f.Repo, f.Path), Destination(f.Path), null, f.Sha256))], ui, cancellationToken);
    }

    /// <summary>The draft is a bonus: failing to fetch it is a warning, not a reason not to serve.</summary>
    private static async Task<string?> OptionalDraftAsync(CatalogEntry entry, ModelCatalog catalog, IReadOnlyList<LocalModel> onDisk, TerminalConsoleUi ui, CancellationToken cancellationToken)
    {
        try
        {
            return await DraftAsync(entry, catalog, onDisk, fetch: true, ui, cancellationToken);
        }
        catch (CommandException e)
        {
            ui.Warn($"No draft model: {e.Message} Serving without speculative decoding.");
            return null;
        }
    }

    private static async Task<string?> DraftAsync(CatalogEntry? main, ModelCatalog catalog, IReadOnlyList<LocalModel> onDisk, bool fetch, TerminalConsoleUi ui, CancellationToken cancellationToken)
    {
        if (main?.Draft is not { } draftName || catalog.Find(draftName) is not { } draft)
        {
            return null;
        }

        if (onDisk.FirstOrDefault(m => m.Name == draft.Name) is { } local)
        {
            return local.Path;
        }

        if (!fetch)
        {
            return null;
        }

        ui.Info($"Fetching the draft model {draft.Name} ({NodeCapacity.Describe(draft.SizeBytes)}) for faster decoding; --no-draft skips it.");
        return await DownloadAsync(draft, force: true, usableBytes: long.MaxValue, ui, cancellationToken);
    }

    private static async Task<string> DownloadAsync(IReadOnlyList<DownloadPart> parts, TerminalConsoleUi ui, CancellationToken cancellationToken)
    {
        using var http = ModelDownloader.CreateHttpClient();
        var downloader = new ModelDownloader(http, TimeProvider.System, NullLogger<ModelDownloader>.Instance)
        {
            // Gated models (licenses accepted on the hub) need the user's token.
            Options = new DownloadOptions { BearerToken = Environment.GetEnvironmentVariable("HF_TOKEN") is { Length: > 0 } token ? token : null },
        };
        var progress = new ProgressLine();
        try
        {
            await downloader.DownloadAsync(parts, progress, cancellationToken);
        }
        catch (DownloadException e)
        {
            progress.End();
            throw new CommandException(e.Message, ExitCodes.ModelInvalid);
        }

        progress.End();
        return parts.Select(p => p.Destination).Order(StringComparer.Ordinal).First();
    }

    private static string Destination(string repoPath) => Path.Combine(LocalModels.Folder, Path.GetFileName(repoPath));

    /// <summary>Progress on stderr: redrawn at most 5 times a second on a terminal, a plain line every 5 s otherwise.</summary>
    private sealed class ProgressLine : IProgress<DownloadProgress>
    {
        private readonly Lock _lock = new();
        private long _last;
        private string? _pending;

        public void Report(DownloadProgress value)
        {
            lock (_lock)
            {
                var now = TimeProvider.System.GetTimestamp();
                var interval = TerminalConsoleUi.IsTerminal ? TimeSpan.FromMilliseconds(200) : TimeSpan.FromSeconds(5);
                _pending = (TerminalConsoleUi.IsTerminal ? Bar(value) + " " : "") + DownloadProgressText.Format(value);
                if (_last == 0 || TimeProvider.System.GetElapsedTime(_last, now) >= interval || value.Total is { } t && value.Done >= t)
                {
                    TerminalConsoleUi.Progress(_pending, final: false);
                    _last = now;
                }
            }
        }

        /// <summary>A 24-cell bar, e.g. <c>[#########...............]</c>.</summary>
        private static string Bar(DownloadProgress p)
        {
            var filled = p.Total is > 0 and { } total ? (int)Math.Clamp(24 * p.Done / total, 0, 24) : 0;
            return "[" + new string('#', filled) + new string('.', 24 - filled) + "]";
        }

        public void End()
        {
            lock (_lock)
            {
                if (_pending is not null)
                {
                    TerminalConsoleUi.Progress(_pending, final: true);
                    _pending = null;
                }
            }
        }
    }

    /// <summary>Bytes with a unit, for tables.</summary>
    public static string Size(long bytes) => NodeCapacity.Describe(bytes);

    public static string Number(double value, string format) => value.ToString(format, CultureInfo.InvariantCulture);
}
