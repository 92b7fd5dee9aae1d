namespace MeshLlm.Inference.OpenAi;

/// <summary>A parsed and validated <c>/v1/chat/completions</c> or <c>/v1/completions</c> request.</summary>
public sealed record GenerationRequest
{
    public required string Model { get; init; }

    /// <summary>Chat messages; null for a plain completion.</summary>
    public IReadOnlyList<ChatMessage>? Messages { get; init; }

    /// <summary>Raw prompt text for a plain completion; null for chat.</summary>
    public string? Prompt { get; init; }

    public required SamplingParameters Sampling { get; init; }

    public bool Stream { get; init; }

    /// <summary>Streaming only: send a final chunk with <c>usage</c> (<c>stream_options.include_usage</c>).</summary>
    public bool IncludeUsage { get; init; }

    public bool IsChat => Messages is not null;
}
