using LLama;
using LLama.Native;
using MeshLlm.Inference.OpenAi;

namespace MeshLlm.Inference.LlamaSharp;

/// <summary>A KV-cache sequence running one job: its position, sampler, decoder and stop matcher.</summary>
internal sealed class Slot(int index) : IDisposable
{
    private SafeLLamaSamplerChainHandle? _sampler;

    public int Index { get; } = index;

    public LLamaSeqId SequenceId { get; } = (LLamaSeqId)index;

    public GenerationJob? Job { get; private set; }

    /// <summary>Prompt tokens already sent to the model.</summary>
    public int PromptOffset { get; set; }

    /// <summary>Next KV position.</summary>
    public int Position { get; set; }

    /// <summary>Last sampled token, to be decoded next.</summary>
    public LLamaToken LastToken { get; set; }

    public int Generated { get; set; }

    /// <summary>Index in the current batch whose logits belong to this slot; -1 when none.</summary>
    public int LogitIndex { get; set; } = -1;

    public StreamingTokenDecoder? Decoder { get; private set; }

    public StopSequenceMatcher? Stops { get; private set; }

    public bool IsPrefilling => Job is not null && PromptOffset < Job.PromptTokens.Length;

    public SafeLLamaSamplerChainHandle Sampler => _sampler ?? throw new InvalidOperationException("Slot is idle.");

    public void Start(GenerationJob job, LLamaWeights weights)
    {
        Job = job;
        PromptOffset = 0;
        Position = 0;
        Generated = 0;
        LogitIndex = -1;
        _sampler = CreateSampler(job.Sampling);
        Decoder = new StreamingTokenDecoder(System.Text.Encoding.UTF8, weights) { DecodeSpecialTokens = false };
        Stops = new StopSequenceMatcher(job.Sampling.Stop);
    }

    public void Release()
    {
        Job = null;
        Decoder = null;
        Stops = null;
        _sampler?.Dispose();
        _sampler = null;
    }

    public void Dispose() => Release();

    private static SafeLLamaSamplerChainHandle CreateSampler(SamplingParameters sampling)
    {
        var chain = SafeLLamaSamplerChainHandle.Create(LLamaSamplerChainParams.Default());
        if (sampling.Temperature <= 0)
        {
            chain.AddGreedySampler();
            return chain;
        }

        if (sampling.TopK > 0)
        {
            chain.AddTopK(sampling.TopK);
        }

        if (sampling.TopP < 1)
        {
            chain.AddTopP(sampling.TopP, 1);
        }

        chain.AddTemperature(sampling.Temperature);
        chain.AddDistributionSampler(sampling.Seed ?? (uint)Random.Shared.Next());
        return chain;
    }
}
