using System.Diagnostics.CodeAnalysis;

namespace MeshLlm.Inference.OpenAi;

/// <summary>Either a valid request or the error to answer with.</summary>
public readonly struct ParseResult
{
    private ParseResult(GenerationRequest? request, OpenAiError? error) => (Request, Error) = (request, error);

    public GenerationRequest? Request { get; }

    public OpenAiError? Error { get; }

    [MemberNotNullWhen(true, nameof(Request))]
    [MemberNotNullWhen(false, nameof(Error))]
    public bool IsValid => Request is not null;

    public static implicit operator ParseResult(GenerationRequest request) => new(request, null);

    public static implicit operator ParseResult(OpenAiError error) => new(null, error);
}
