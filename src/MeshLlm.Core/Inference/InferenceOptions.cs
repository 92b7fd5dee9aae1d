namespace MeshLlm.Inference;

/// <summary>Which engine serves the model, and how. Bound from <c>Inference</c> (<c>MESHLLM__INFERENCE__*</c>).</summary>
public sealed class InferenceOptions
{
    public const string Section = "Inference";

    /// <summary>Model file to serve. Set by <c>--model</c>.</summary>
    public string? ModelPath { get; set; }

    /// <summary><c>auto</c> (llama.cpp when found, else embedded), <c>embedded</c> or <c>llamacpp</c>. Default <c>auto</c>.</summary>
    public string Backend { get; set; } = "auto";

    /// <summary>Folder holding <c>llama-server</c> and <c>rpc-server</c>; searched before <c>MESH_LLM_BIN_DIR</c> and <c>PATH</c>.</summary>
    public string? BinDir { get; set; }

    /// <summary><c>auto</c>, <c>cpu</c>, <c>cuda</c>, <c>rocm</c>, <c>vulkan</c> or <c>metal</c>. Default <c>auto</c> (detected).</summary>
    public string Device { get; set; } = "auto";

    /// <summary>Draft model for speculative decoding (llama.cpp only). Default none.</summary>
    public string? DraftPath { get; set; }

    /// <summary>Time a child gets to become ready, plus <see cref="ReadyTimeoutPerGigabyte"/> per GB of model. Default 30 s.</summary>
    public TimeSpan ReadyTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Extra readiness time per GB of model file. Default 20 s.</summary>
    public TimeSpan ReadyTimeoutPerGigabyte { get; set; } = TimeSpan.FromSeconds(20);

    /// <summary>First wait before restarting a crashed backend; doubles per consecutive crash. Default 1 s.</summary>
    public TimeSpan RestartDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Longest wait between restarts. Default 30 s.</summary>
    public TimeSpan MaxRestartDelay { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Consecutive crashes after which the node stops restarting and reports the model failed. Default 5.</summary>
    public int MaxRestarts { get; set; } = 5;

    /// <summary>A backend that served this long without crashing starts counting crashes from zero again. Default 5 min.</summary>
    public TimeSpan StableAfter { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Time a child gets to exit after SIGTERM before SIGKILL. Default 5 s.</summary>
    public TimeSpan StopGracePeriod { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How often to report progress while a model loads. Default 5 s.</summary>
    public TimeSpan ProgressInterval { get; set; } = TimeSpan.FromSeconds(5);

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
