namespace MeshLlm.Inference.OpenAi;

/// <summary>Carries an <see cref="OpenAiError"/> out of code that cannot return one (used at request boundaries only).</summary>
public sealed class OpenAiException(OpenAiError error) : Exception(error.Message)
{
    public OpenAiError Error { get; } = error;
}
