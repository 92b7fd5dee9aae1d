using System.Text;
using LLama;
using LLama.Common;
using LLama.Exceptions;
using LLama.Native;
using MeshLlm.Inference.OpenAi;
using Microsoft.Extensions.Logging;

namespace MeshLlm.Inference.LlamaSharp;

/// <summary>One loaded model: its weights, one context with a KV sequence per slot, and the worker that decodes.</summary>
internal sealed class LlamaSharpEngine : IAsyncDisposable
{
    private readonly LLamaWeights _weights;
    private readonly LLamaContext _context;
    private readonly InferenceWorker _worker;

    private LlamaSharpEngine(string name, LLamaWeights weights, LLamaContext context, EngineSettings settings, ILogger logger)
    {
        Name = name;
        Settings = settings;
        _weights = weights;
        _context = context;
        _worker = new InferenceWorker(weights, context, settings, logger);
    }

    public string Name { get; }

    public EngineSettings Settings { get; }

    /// <summary>Slot usage for <c>/health</c>: (idle, processing, queued).</summary>
    public (int Idle, int Processing, int Queued) SlotUsage()
    {
        var processing = _worker.Processing;
        return (_worker.SlotCount - processing, processing, _worker.Queued);
    }

    /// <summary>Loads the model; native errors become a <see cref="BackendStartException"/> with llama.cpp's reason.</summary>
    public static LlamaSharpEngine Load(ModelFile model, InferenceOptions options, NativeLog nativeLog, ILogger logger)
    {
        var probe = EngineSettings.From(options, 0);
        var parameters = CreateParameters(model.Path, probe);
        LLamaWeights weights;
        try
        {
            weights = LLamaWeights.LoadFromFile(parameters);
        }
        catch (LoadWeightsFailedException e)
        {
            throw new BackendStartException(
                $"The embedded engine could not load {model.Path}: {nativeLog.LastError ?? "llama.cpp rejected the file"}.", e);
        }

        var settings = EngineSettings.From(options, weights.ContextSize);
        parameters = CreateParameters(model.Path, settings);
        try
        {
            var context = weights.CreateContext(parameters, logger);
            return new LlamaSharpEngine(model.Name, weights, context, settings, logger);
        }
        catch (Exception e) when (e is RuntimeError or InvalidOperationException)
        {
            weights.Dispose();
            throw new BackendStartException(
                $"The embedded engine could not create a context of {settings.SlotContext * settings.Parallel} tokens: " +
                $"{nativeLog.LastError ?? e.Message}. Try a smaller --ctx-size or --parallel.", e);
        }
    }

    private static ModelParams CreateParameters(string path, EngineSettings settings) => new(path)
    {
        // Each slot gets its own slice of the KV cache, as llama-server's slots do.
        ContextSize = (uint)(settings.SlotContext * settings.Parallel),
        SeqMax = (uint)settings.Parallel,
        KVUnified = false,
        BatchSize = (uint)settings.BatchSize,
        UBatchSize = (uint)settings.BatchSize,
        Threads = settings.Threads,
        BatchThreads = settings.Threads,
        GpuLayerCount = 0,
    };

    /// <summary>Renders chat messages with the model's own chat template.</summary>
    public string ApplyChatTemplate(IReadOnlyList<ChatMessage> messages)
    {
        var template = new LLamaTemplate(_weights) { AddAssistant = true };
        foreach (var message in messages)
        {
            template.Add(message.Role, message.Content);
        }

        return Encoding.UTF8.GetString(template.Apply());
    }

    /// <summary>Queues a generation. Throws <see cref="OpenAiException"/> when the prompt does not fit.</summary>
    public GenerationJob Submit(string prompt, SamplingParameters sampling, CancellationToken cancellationToken)
    {
        var tokens = _weights.NativeHandle.Tokenize(prompt, _weights.Vocab.ShouldAddBOS, special: true, Encoding.UTF8);
        if (tokens.Length == 0)
        {
            throw new OpenAiException(OpenAiError.InvalidRequest("The prompt is empty.", "prompt"));
        }

        if (tokens.Length >= Settings.SlotContext)
        {
            throw new OpenAiException(OpenAiError.ContextOverflow(tokens.Length, Settings.SlotContext));
        }

        var job = new GenerationJob(tokens, sampling, cancellationToken);
        _worker.Enqueue(job);
        return job;
    }

    public async ValueTask DisposeAsync()
    {
        _worker.Stop();
        await _worker.Exited;
        _worker.Dispose();
        _context.Dispose();
        _weights.Dispose();
    }
}
