using System.Collections.Immutable;
using MeshLlm.Inference;
using MeshLlm.Inference.OpenAi;

namespace MeshLlm.Routing;

/// <summary>Chooses the model server for a request's <c>model</c>; pure, so every rule is tested alone.</summary>
public static class RoutePolicy
{
    /// <summary>Names that mean "pick the best available model".</summary>
    public static bool IsAuto(string? model) =>
        string.IsNullOrEmpty(model) || string.Equals(model, "auto", StringComparison.OrdinalIgnoreCase);

    public static RouteDecision Choose(string? requested, ImmutableArray<ServedModel> models, int retryAfterSeconds)
    {
        if (IsAuto(requested))
        {
            // Catalog quality decides once the catalog exists; until then the first ready model.
            var ready = models.FirstOrDefault(m => m.Status == ServingStatus.Ready);
            if (ready is not null)
            {
                return RouteDecision.To(ready.Name, ready.Endpoint!);
            }

            var loading = models.FirstOrDefault(m => m.Status == ServingStatus.Loading);
            return loading is not null
                ? RouteDecision.Fail(OpenAiError.Loading(loading.Name, retryAfterSeconds))
                : RouteDecision.Fail(NoModel(retryAfterSeconds));
        }

        var match = models.FirstOrDefault(m => m.Name == requested)
            ?? models.FirstOrDefault(m => string.Equals(m.Name, requested, StringComparison.OrdinalIgnoreCase));
        return match switch
        {
            null => RouteDecision.Fail(OpenAiError.ModelNotFound(requested!, models.Select(m => m.Name).ToArray())),
            { Status: ServingStatus.Ready } => RouteDecision.To(match.Name, match.Endpoint!),
            { Status: ServingStatus.Loading } => RouteDecision.Fail(OpenAiError.Loading(match.Name, retryAfterSeconds)),
            _ => RouteDecision.Fail(new OpenAiError(503,
                $"The model '{match.Name}' failed to load on this node; see the node's log.", "server_error", "model_unavailable")),
        };
    }

    private static OpenAiError NoModel(int retryAfterSeconds) =>
        new(503, "No model is being served yet.", "server_error", "no_model") { RetryAfterSeconds = retryAfterSeconds };
}
