using System.Collections.Immutable;
using MeshLlm.Inference;
using MeshLlm.Inference.OpenAi;

namespace MeshLlm.Routing;

/// <summary>Chooses the servers for a request's <c>model</c>; pure, so every rule is tested alone.</summary>
/// <remarks>
/// Rules: an exact name beats a case-insensitive match; <c>auto</c> or no model picks this node's ready model,
/// else the ready model with the most servers (catalog quality decides once the catalog exists). Ready servers
/// are tried in order: this node's own first, then the least loaded (requests in flight), then the nearest
/// (ping round trip; unknown last), then by node id. Nothing ready: 503 with Retry-After while one loads (or a
/// split's host starts), 503 <c>model_waiting</c> while a split lacks memory, 503 <c>model_unavailable</c> when it
/// failed, 404 listing the models there are for an unknown name.
/// </remarks>
public static class RoutePolicy
{
    /// <summary>Names that mean "pick the best available model".</summary>
    public static bool IsAuto(string? model) =>
        string.IsNullOrEmpty(model) || string.Equals(model, "auto", StringComparison.OrdinalIgnoreCase);

    /// <summary>Routing among this node's own models only.</summary>
    public static RouteDecision Choose(string? requested, ImmutableArray<ServedModel> models, int retryAfterSeconds) =>
        Choose(requested, [.. models.Select(m => new ModelHost(m.Name, m.Status, m.Endpoint, null))], retryAfterSeconds);

    public static RouteDecision Choose(string? requested, IReadOnlyList<ModelHost> hosts, int retryAfterSeconds)
    {
        if (IsAuto(requested))
        {
            var best = hosts.FirstOrDefault(h => h.Node is null && h.Status == ServingStatus.Ready)
                ?? hosts.Where(h => h.Status == ServingStatus.Ready)
                    .GroupBy(h => h.Model, StringComparer.Ordinal)
                    .OrderByDescending(g => g.Count())
                    .FirstOrDefault()?.First();
            if (best is not null)
            {
                return Ready(best.Model, hosts.Where(h => h.Model == best.Model).ToList());
            }

            var loading = hosts.FirstOrDefault(h => h.Status == ServingStatus.Loading);
            return loading is not null
                ? RouteDecision.Fail(OpenAiError.Loading(loading.Model, retryAfterSeconds))
                : RouteDecision.Fail(NoModel(retryAfterSeconds));
        }

        var group = hosts.Where(h => h.Model == requested).ToList();
        if (group.Count == 0)
        {
            group = [.. hosts.Where(h => string.Equals(h.Model, requested, StringComparison.OrdinalIgnoreCase))];
        }

        if (group.Count == 0)
        {
            return RouteDecision.Fail(OpenAiError.ModelNotFound(requested!, [.. hosts.Select(h => h.Model).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)]));
        }

        if (group.Any(h => h.Status == ServingStatus.Ready))
        {
            return Ready(group[0].Model, group);
        }

        if (group.Any(h => h.Status is ServingStatus.Loading or ServingStatus.Lending))
        {
            // Lending: a split's partner, whose host is still starting (or not yet announced).
            return RouteDecision.Fail(OpenAiError.Loading(group[0].Model, retryAfterSeconds));
        }

        return group.Any(h => h.Status == ServingStatus.Waiting)
            ? RouteDecision.Fail(new OpenAiError(503,
                $"The model '{group[0].Model}' does not fit on the nodes that have it, even split; they wait for more memory to join (see mesh-llm status).",
                "server_error", "model_waiting") { RetryAfterSeconds = retryAfterSeconds })
            : RouteDecision.Fail(new OpenAiError(503,
                $"The model '{group[0].Model}' failed to load on every node that has it; see their logs.", "server_error", "model_unavailable"));
    }

    private static RouteDecision Ready(string model, IReadOnlyList<ModelHost> group) =>
        RouteDecision.To(model, [.. group
            .Where(h => h.Status == ServingStatus.Ready && h.Address is not null)
            .OrderBy(h => h.Node is null ? 0 : 1)
            .ThenBy(h => h.InFlight)
            .ThenBy(h => h.RttMs ?? double.MaxValue)
            .ThenBy(h => h.Node?.Hex, StringComparer.Ordinal)
            .Select(h => new RouteTarget(h.Model, h.Address!, h.Node))]);

    private static OpenAiError NoModel(int retryAfterSeconds) =>
        new(503, "No model is being served yet.", "server_error", "no_model") { RetryAfterSeconds = retryAfterSeconds };
}
