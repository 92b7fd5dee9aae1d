using System.Net.Http.Json;
using MeshLlm.Discovery;
using MeshLlm.Inference;
using MeshLlm.Membership;
using MeshLlm.Models;
using MeshLlm.Planning;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace MeshLlm.Hosting;

/// <summary>
/// What <c>--auto</c> does once the node is in a mesh (docs/DISCOVERY.md, "What --auto does"):
/// <list type="bullet">
/// <item>A node that started a new mesh without <c>--model</c> serves the model for its memory tier if it is on disk;
/// otherwise it downloads and serves the small starter model first, downloads the tier's model in the background, and
/// upgrades to it without a gap.</item>
/// <item>A node that joined a mesh without <c>--model</c> and finds nothing to serve on disk downloads what the mesh lacks
/// (a wanted model nobody serves), else its hottest model, provided it fits.</item>
/// <item>A joiner watches that its mesh stays listed on Nostr and publishes it when nobody does (takeover watchdog).</item>
/// </list>
/// </summary>
internal sealed partial class AutoService : BackgroundService
{
    private readonly MeshService _mesh;
    private readonly MeshSetup _setup;
    private readonly MeshNode _node;
    private readonly ModelAssignment _assignment;
    private readonly BackendService _backend;
    private readonly ServingState _serving;
    private readonly ListingPublisher _publisher;
    private readonly MeshDiscovery _discovery;
    private readonly NodeCapacity _capacity;
    private readonly DemandTracker _demand;
    private readonly DiscoveryOptions _options;
    private readonly PlanningOptions _planning;
    private readonly bool _hasModel;
    private readonly TerminalConsoleUi _ui;
    private readonly TimeProvider _time;
    private readonly ILogger<AutoService> _logger;

    public AutoService(
        MeshService mesh, MeshSetup setup, MeshNode node, ModelAssignment assignment, BackendService backend, ServingState serving, ListingPublisher publisher,
        MeshDiscovery discovery, NodeCapacity capacity, DemandTracker demand, IOptions<DiscoveryOptions> options, IOptions<PlanningOptions> planning,
        IOptions<InferenceOptions> inference, TimeProvider time, ILogger<AutoService> logger)
    {
        _setup = setup;
        (_mesh, _node, _assignment, _backend, _serving, _publisher, _discovery, _capacity, _demand) =
            (mesh, node, assignment, backend, serving, publisher, discovery, capacity, demand);
        (_options, _planning, _time, _logger) = (options.Value, planning.Value, time, logger);
        _hasModel = inference.Value.ModelPath is not null;
        _ui = new TerminalConsoleUi();
        if (!_hasModel)
        {
            // Until the node knows whether it joined or started a mesh, the planner must not pick a model for it.
            _assignment.Hold();
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            var outcome = await _mesh.Outcome.WaitAsync(stoppingToken);
            if (outcome == JoinResult.Started)
            {
                if (!_hasModel)
                {
                    await FirstRunAsync(stoppingToken);
                }

                return;
            }

            _assignment.Release();
            var watchdog = WatchdogAsync(stoppingToken);
            if (!_hasModel)
            {
                await FillGapAsync(stoppingToken);
            }

            await watchdog;
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    /// <summary>A new mesh: the tier's model if on disk, else the starter now and the tier's model as an upgrade.</summary>
    private async Task FirstRunAsync(CancellationToken stoppingToken)
    {
        var catalog = ModelCatalog.Shared;
        var usable = _capacity.UsableBytes;
        var tier = ModelTiers.Recommend(usable, catalog).Recommended;
        var onDisk = LocalModels.Scan();
        if (tier is not null && onDisk.FirstOrDefault(m => m.Name == tier.Name) is { } local)
        {
            LogFirstModel(tier.Name, "the model for this machine's memory is on disk");
            _assignment.AssignHeld(local.Path);
            return;
        }

        var starter = ModelTiers.StarterModel(catalog);
        var begun = _time.GetTimestamp();
        var starterPath = onDisk.FirstOrDefault(m => m.Name == starter.Name)?.Path;
        if (starterPath is null)
        {
            _ui.Info($"No mesh to join and nothing on disk: fetching the starter model {starter.Name} ({NodeCapacity.Describe(starter.SizeBytes)}) to chat in minutes" +
                (tier is null || tier.Name == starter.Name ? "." : $"; {tier.Name} follows in the background."));
            starterPath = await DownloadOrLogAsync(starter, stoppingToken);
            if (starterPath is null)
            {
                return;
            }
        }

        LogFirstModel(starter.Name, "starter model, while the tier's model downloads");
        _assignment.AssignHeld(starterPath);
        if (await WaitReadyAsync(starter.Name, stoppingToken) is { } endpoint && await FirstAnswerAsync(endpoint, starter.Name, stoppingToken))
        {
            // Timed to a real answer, not just a loaded model: what a newcomer waits before chatting.
            var seconds = _time.GetElapsedTime(begun).TotalSeconds;
            LogChatReady(starter.Name, seconds);
            _ui.Info($"Chat-ready after {seconds:0.0} s with {starter.Name} (first answer received).");
        }

        if (tier is null || tier.Name == starter.Name)
        {
            return;
        }

        if (await DownloadOrLogAsync(tier, stoppingToken) is not { } tierPath)
        {
            return;
        }

        if (await _backend.UpgradeAsync(tierPath, stoppingToken) is { } reason)
        {
            LogUpgradeSkipped(tier.Name, reason);
            return;
        }

        _ui.Info($"Upgraded to {tier.Name}: requests with no model or \"auto\" now get it.");
    }

    /// <summary>A joiner with nothing to serve on disk: fetch what the mesh lacks, else its hottest model, when it fits.</summary>
    private async Task FillGapAsync(CancellationToken stoppingToken)
    {
        // Give the planner its chance first: a model on disk is served without a download.
        await Task.Delay(_planning.SettleDelay + TimeSpan.FromSeconds(1), _time, stoppingToken);
        if (_assignment.IsAssigned)
        {
            return;
        }

        var snapshot = _node.Snapshot;
        // The listing's demand (requests per minute over the last minutes) first: this node's own rates need a minute.
        var listed = _setup.Discovered.FirstOrDefault(m => m.Listing.MeshId == _node.Mesh.Value)?.Listing.Demand ?? new Dictionary<string, double>();
        var observed = _demand.RatesPerMinute(_demand.MeshDemand(snapshot));
        var rates = listed.Keys.Union(observed.Keys).ToDictionary(k => k, k => Math.Max(listed.GetValueOrDefault(k), observed.GetValueOrDefault(k)));
        var usable = _capacity.UsableBytes;
        var hasOwnModels = LocalModels.Scan().Any(m => !m.IsDraft);
        if (AssignmentPolicy.ChooseDownload(snapshot, ModelCatalog.Shared, rates, usable, hasOwnModels) is not { } choice)
        {
            LogNothingToFetch(NodeCapacity.Describe(usable));
            return;
        }

        var pick = choice.Model;
        LogFetching(pick.Name, choice.Reason);
        if (await DownloadOrLogAsync(pick, stoppingToken) is { } path && !_assignment.IsAssigned)
        {
            _assignment.AssignHeld(path);
        }
    }

    /// <summary>
    /// Checks every <see cref="DiscoveryOptions.WatchdogInterval"/> (with jitter) that some listing carries this mesh's id;
    /// when none does, waits a random moment, looks again, and publishes the mesh unless someone else did meanwhile.
    /// </summary>
    private async Task WatchdogAsync(CancellationToken stoppingToken)
    {
        while (!_publisher.IsEnabled)
        {
            await Task.Delay(Jitter(_options.WatchdogInterval), _time, stoppingToken);
            if (_publisher.IsEnabled || await IsListedAsync(stoppingToken))
            {
                continue;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(Random.Shared.NextDouble() * _options.WatchdogMaxDelay.TotalMilliseconds), _time, stoppingToken);
            if (await IsListedAsync(stoppingToken))
            {
                LogStoodDown(_node.Mesh.Value);
                continue;
            }

            _publisher.Enable($"watchdog: no listing carries mesh {_node.Mesh}");
        }
    }

    private async Task<bool> IsListedAsync(CancellationToken stoppingToken)
    {
        var found = await _discovery.DiscoverAsync(_options.QueryTimeout, stoppingToken);
        return found.Meshes.Any(m => m.Listing.MeshId == _node.Mesh.Value);
    }

    private static TimeSpan Jitter(TimeSpan interval) => interval * (0.7 + (0.6 * Random.Shared.NextDouble()));

    /// <summary>Asks the model server for one token; true when it answered.</summary>
    private async Task<bool> FirstAnswerAsync(Uri endpoint, string model, CancellationToken stoppingToken)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromMinutes(2) };
        try
        {
            using var response = await http.PostAsJsonAsync(new Uri(endpoint, "v1/chat/completions"),
                new { model, max_tokens = 1, messages = new[] { new { role = "user", content = "Hi" } } }, stoppingToken);
            return response.IsSuccessStatusCode;
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !stoppingToken.IsCancellationRequested)
        {
            LogFirstAnswerFailed(model, e.Message);
            return false;
        }
    }

    /// <summary>The model's server address once it is ready; null when it failed.</summary>
    private async Task<Uri?> WaitReadyAsync(string model, CancellationToken stoppingToken)
    {
        while (true)
        {
            var changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            void OnChanged() => changed.TrySetResult();
            _serving.Changed += OnChanged;
            try
            {
                switch (_serving.Models.FirstOrDefault(m => m.Name == model))
                {
                    case { Status: ServingStatus.Ready, Endpoint: { } endpoint }:
                        return endpoint;
                    case { Status: ServingStatus.Failed }:
                        return null;
                }

                await changed.Task.WaitAsync(stoppingToken);
            }
            finally
            {
                _serving.Changed -= OnChanged;
            }
        }
    }

    private async Task<string?> DownloadOrLogAsync(CatalogEntry entry, CancellationToken stoppingToken)
    {
        try
        {
            return await ModelAcquisition.DownloadAsync(entry, force: false, _capacity.UsableBytes, _ui, stoppingToken);
        }
        catch (Exception e) when (e is CommandException or IOException or UnauthorizedAccessException or HttpRequestException)
        {
            // A failed background download never stops the node: it keeps serving what it has.
            LogDownloadFailed(entry.Name, e.Message);
            _ui.Warn($"Could not fetch {entry.Name}: {e.Message}");
            return null;
        }
    }

    [LoggerMessage(EventId = 7120, Level = LogLevel.Information, Message = "--auto: serving {Model} first ({Why})")]
    private partial void LogFirstModel(string model, string why);

    [LoggerMessage(EventId = 7121, Level = LogLevel.Information, Message = "--auto: chat-ready with {Model} {Seconds:F1} s after the mesh started (first answer received)")]
    private partial void LogChatReady(string model, double seconds);

    [LoggerMessage(EventId = 7122, Level = LogLevel.Warning, Message = "--auto: no upgrade to {Model}: {Reason}")]
    private partial void LogUpgradeSkipped(string model, string reason);

    [LoggerMessage(EventId = 7123, Level = LogLevel.Warning, Message = "--auto: fetching {Model} failed: {Reason}")]
    private partial void LogDownloadFailed(string model, string reason);

    [LoggerMessage(EventId = 7124, Level = LogLevel.Information, Message = "--auto: fetching {Model} to serve it ({Why})")]
    private partial void LogFetching(string model, string why);

    [LoggerMessage(EventId = 7125, Level = LogLevel.Information, Message = "--auto: nothing on disk to serve and no catalog model the mesh needs fits {Usable}; staying a standby")]
    private partial void LogNothingToFetch(string usable);

    [LoggerMessage(EventId = 7127, Level = LogLevel.Warning, Message = "--auto: {Model} is ready but did not answer a first request: {Reason}")]
    private partial void LogFirstAnswerFailed(string model, string reason);

    [LoggerMessage(EventId = 7126, Level = LogLevel.Information, Message = "Watchdog: mesh {Mesh} was unlisted, but another node listed it first; standing down")]
    private partial void LogStoodDown(string mesh);
}
