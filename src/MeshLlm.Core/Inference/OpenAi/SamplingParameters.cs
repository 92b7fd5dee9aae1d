namespace MeshLlm.Inference.OpenAi;

/// <summary>What to generate and how to sample it; already validated.</summary>
public sealed record SamplingParameters
{
    /// <summary>0 means greedy. Default 1.0 as in OpenAI's API.</summary>
    public float Temperature { get; init; } = 1.0f;

    /// <summary>Nucleus sampling threshold; 1.0 disables it.</summary>
    public float TopP { get; init; } = 1.0f;

    /// <summary>Top-k sampling; 0 disables it.</summary>
    public int TopK { get; init; }

    /// <summary>Sampler seed; null picks a random one.</summary>
    public uint? Seed { get; init; }

    /// <summary>Most tokens to generate; null means until the context is full.</summary>
    public int? MaxTokens { get; init; }

    /// <summary>Strings that end generation; not included in the output.</summary>
    public IReadOnlyList<string> Stop { get; init; } = [];
}
