using MeshLlm.Inference.OpenAi;

namespace MeshLlm.Routing;

/// <summary>Where a request goes: a model server's base address, or the error to answer with.</summary>
public sealed record RouteDecision(string? Model, Uri? Target, OpenAiError? Error)
{
    public static RouteDecision To(string model, Uri target) => new(model, target, null);

    public static RouteDecision Fail(OpenAiError error) => new(null, null, error);
}
