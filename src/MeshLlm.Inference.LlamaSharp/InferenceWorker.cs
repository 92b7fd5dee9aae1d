using System.Collections.Concurrent;
using LLama;
using LLama.Native;
using Microsoft.Extensions.Logging;

namespace MeshLlm.Inference.LlamaSharp;

/// <summary>
/// Decodes every request of one model on one long-lived thread, batching all active slots into each decode.
/// </summary>
/// <remarks>
/// One thread, synchronous <c>Decode</c>: llama.cpp's OpenMP pool then stays warm; hopping pool threads per
/// token costs 12-33 % (reference/llamacpp-facts.md). Each iteration:
/// 1. admit queued jobs into free slots (FIFO, so nobody starves) and free slots whose client went away;
/// 2. add one token per generating slot, then prompt chunks of prefilling slots up to the batch size;
/// 3. decode, sample each slot that asked for logits, and emit its text.
/// </remarks>
internal sealed partial class InferenceWorker : IDisposable
{
    private readonly LLamaWeights _weights;
    private readonly LLamaContext _context;
    private readonly Slot[] _slots;
    private readonly int _slotContext;
    private readonly int _batchSize;
    private readonly ConcurrentQueue<GenerationJob> _queue = new();
    private readonly SemaphoreSlim _signal = new(0);
    private readonly CancellationTokenSource _stopping = new();
    private readonly TaskCompletionSource _exited = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly ILogger _logger;
    private readonly Thread _thread;

    public InferenceWorker(LLamaWeights weights, LLamaContext context, EngineSettings settings, ILogger logger)
    {
        _weights = weights;
        _context = context;
        _slotContext = settings.SlotContext;
        _batchSize = settings.BatchSize;
        _logger = logger;
        _slots = Enumerable.Range(0, settings.Parallel).Select(i => new Slot(i)).ToArray();
        _thread = new Thread(Run) { IsBackground = true, Name = "inference-worker" };
        _thread.Start();
    }

    /// <summary>Slots running a job right now.</summary>
    public int Processing => _slots.Count(s => s.Job is not null);

    /// <summary>Jobs waiting for a free slot.</summary>
    public int Queued => _queue.Count;

    public int SlotCount => _slots.Length;

    /// <summary>Completes when the worker thread has ended.</summary>
    public Task Exited => _exited.Task;

    public void Enqueue(GenerationJob job)
    {
        _queue.Enqueue(job);
        _signal.Release();
        job.CancellationToken.UnsafeRegister(static s => ((SemaphoreSlim)s!).Release(), _signal);
    }

    public void Stop()
    {
        _stopping.Cancel();
        _signal.Release();
    }

    private void Run()
    {
        // Before the first decode, so llama.cpp's OpenMP workers (created by this thread) inherit it.
        if (SchedulerSlice.TrySetForCurrentThread(SchedulerSlice.Compute) is { } reason)
        {
            LogSliceUnchanged(reason);
        }

        try
        {
            var batch = new LLamaBatch();
            while (!_stopping.IsCancellationRequested)
            {
                Admit();
                if (!_slots.Any(s => s.Job is not null))
                {
                    WaitForWork();
                    continue;
                }

                Step(batch);
            }
        }
        catch (Exception e)
        {
            LogWorkerCrashed(e);
        }
        finally
        {
            foreach (var slot in _slots.Where(s => s.Job is not null))
            {
                Finish(slot, new GenerationEvent("", null, 0, 0, "The model was unloaded."));
            }

            FailQueued("The model was unloaded.");
            _exited.TrySetResult();
        }
    }

    private void WaitForWork()
    {
        try
        {
            _signal.Wait(_stopping.Token);
        }
        catch (OperationCanceledException)
        {
        }
    }

    private void Admit()
    {
        foreach (var slot in _slots)
        {
            if (slot.Job is { CancellationToken.IsCancellationRequested: true })
            {
                Free(slot);
            }

            while (slot.Job is null && _queue.TryDequeue(out var job))
            {
                if (!job.CancellationToken.IsCancellationRequested)
                {
                    slot.Start(job, _weights);
                }
                else
                {
                    job.Writer.TryComplete();
                }
            }
        }
    }

    private void Step(LLamaBatch batch)
    {
        batch.Clear();
        var budget = _batchSize;
        foreach (var slot in _slots.Where(s => s.Job is not null && !s.IsPrefilling))
        {
            slot.LogitIndex = batch.Add(slot.LastToken, slot.Position++, slot.SequenceId, true);
            budget--;
        }

        foreach (var slot in _slots.Where(s => s.IsPrefilling))
        {
            budget -= AddPromptChunk(batch, slot, budget);
            if (budget <= 0)
            {
                break;
            }
        }

        var result = _context.Decode(batch);
        if (result != DecodeResult.Ok)
        {
            LogDecodeFailed(result);
            foreach (var slot in _slots.Where(s => s.Job is not null))
            {
                Finish(slot, new GenerationEvent("", null, 0, 0, $"The engine could not decode ({result})."));
            }

            return;
        }

        foreach (var slot in _slots.Where(s => s is { Job: not null, LogitIndex: >= 0 }))
        {
            SampleAndEmit(slot);
        }
    }

    private static int AddPromptChunk(LLamaBatch batch, Slot slot, int budget)
    {
        var prompt = slot.Job!.PromptTokens;
        var count = Math.Min(budget, prompt.Length - slot.PromptOffset);
        slot.LogitIndex = -1;
        for (var i = 0; i < count; i++)
        {
            var last = slot.PromptOffset + 1 == prompt.Length;
            var index = batch.Add(prompt[slot.PromptOffset], slot.Position++, slot.SequenceId, last);
            slot.PromptOffset++;
            if (last)
            {
                slot.LogitIndex = index;
            }
        }

        return count;
    }
}
