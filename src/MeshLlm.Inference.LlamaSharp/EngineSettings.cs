namespace MeshLlm.Inference.LlamaSharp;

/// <summary>Resolved engine settings: per-slot context, slot count, threads and batch size.</summary>
internal sealed record EngineSettings(int SlotContext, int Parallel, int Threads, int BatchSize)
{
    public static EngineSettings From(InferenceOptions options, int trainedContext)
    {
        var context = options.ContextSize > 0
            ? options.ContextSize
            : Math.Min(trainedContext > 0 ? trainedContext : InferenceOptions.AutoContextCap, InferenceOptions.AutoContextCap);
        return new EngineSettings(context, Math.Max(1, options.Parallel), Math.Max(1, options.Threads), Math.Max(32, options.BatchSize));
    }
}
