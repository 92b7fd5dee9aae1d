namespace MeshLlm.Inference;

/// <summary>Which engine serves the model, and how. Bound from <c>Inference</c> (<c>MESHLLM__INFERENCE__*</c>).</summary>
public sealed class InferenceOptions
{
    public const string Section = "Inference";

    /// <summary>Model file to serve. Set by <c>--model</c>.</summary>
    public string? ModelPath { get; set; }

    /// <summary><c>auto</c> (llama.cpp when found, else embedded) or <c>embedded</c>. Default <c>auto</c>.</summary>
    public string Backend { get; set; } = "auto";

    /// <summary>CPU threads for decoding and prompt processing. Default: all cores.</summary>
    public int Threads { get; set; } = Environment.ProcessorCount;

    /// <summary>Context tokens per request slot. Default 0: the model's training context, capped at 4096.</summary>
    public int ContextSize { get; set; }

    /// <summary>Requests decoded at once (batched); more wait in a fair queue. Default 4.</summary>
    public int Parallel { get; set; } = 4;

    /// <summary>Tokens per decode batch (prompt chunk size). Default 512.</summary>
    public int BatchSize { get; set; } = 512;

    /// <summary>Developer aid: wait this long before loading, to observe the loading state. Default zero.</summary>
    public TimeSpan StartupDelay { get; set; } = TimeSpan.Zero;

    /// <summary>Most context tokens per slot when <see cref="ContextSize"/> is automatic.</summary>
    public const int AutoContextCap = 4096;
}
