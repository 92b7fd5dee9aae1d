using System.Threading.Channels;
using LLama.Native;
using MeshLlm.Inference.OpenAi;

namespace MeshLlm.Inference.LlamaSharp;

/// <summary>Why generation ended, in OpenAI's words.</summary>
internal enum FinishReason
{
    Stop,
    Length,
}

/// <summary>One piece of a generation: text, or the end with its reason and token counts, or an error.</summary>
internal readonly record struct GenerationEvent(string Text, FinishReason? Finish, int PromptTokens, int CompletionTokens, string? Error = null);

/// <summary>One request queued for, or running on, the inference worker. The worker writes; the HTTP handler reads.</summary>
internal sealed class GenerationJob(LLamaToken[] promptTokens, SamplingParameters sampling, CancellationToken cancellationToken)
{
    private readonly Channel<GenerationEvent> _events = Channel.CreateUnbounded<GenerationEvent>(
        new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });

    public LLamaToken[] PromptTokens { get; } = promptTokens;

    public SamplingParameters Sampling { get; } = sampling;

    public CancellationToken CancellationToken { get; } = cancellationToken;

    internal ChannelWriter<GenerationEvent> Writer => _events.Writer;

    /// <summary>Reads events until the end event; cancellation by the caller ends the read (the worker frees the slot).</summary>
    public IAsyncEnumerable<GenerationEvent> ReadAllAsync(CancellationToken cancellationToken) =>
        _events.Reader.ReadAllAsync(cancellationToken);
}
