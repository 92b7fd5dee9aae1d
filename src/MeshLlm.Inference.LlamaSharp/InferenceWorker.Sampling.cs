using LLama.Native;
using Microsoft.Extensions.Logging;

namespace MeshLlm.Inference.LlamaSharp;

internal sealed partial class InferenceWorker
{
    private void SampleAndEmit(Slot slot)
    {
        var job = slot.Job!;
        var token = slot.Sampler.Sample(_context.NativeHandle, slot.LogitIndex);
        slot.LogitIndex = -1;
        if (token.IsEndOfGeneration(_weights.Vocab))
        {
            Finish(slot, End(slot, FinishReason.Stop));
            return;
        }

        slot.Generated++;
        slot.LastToken = token;
        slot.Decoder!.Add(token);
        var text = slot.Stops!.Push(slot.Decoder.Read());
        if (text.Length > 0)
        {
            job.Writer.TryWrite(new GenerationEvent(text, null, 0, 0));
        }

        if (slot.Stops.Stopped)
        {
            Finish(slot, End(slot, FinishReason.Stop));
        }
        else if (slot.Generated >= (job.Sampling.MaxTokens ?? int.MaxValue) || slot.Position >= _slotContext)
        {
            var rest = slot.Stops.Flush();
            if (rest.Length > 0)
            {
                job.Writer.TryWrite(new GenerationEvent(rest, null, 0, 0));
            }

            Finish(slot, End(slot, slot.Stops.Stopped ? FinishReason.Stop : FinishReason.Length));
        }
    }

    private static GenerationEvent End(Slot slot, FinishReason reason) =>
        new("", reason, slot.Job!.PromptTokens.Length, slot.Generated);

    private void Finish(Slot slot, GenerationEvent last)
    {
        slot.Job!.Writer.TryWrite(last);
        Free(slot);
    }

    private void Free(Slot slot)
    {
        slot.Job?.Writer.TryComplete();
        _context.NativeHandle.MemorySequenceRemove(slot.SequenceId, -1, -1);
        slot.Release();
    }

    private void FailQueued(string message)
    {
        while (_queue.TryDequeue(out var job))
        {
            job.Writer.TryWrite(new GenerationEvent("", null, 0, 0, message));
            job.Writer.TryComplete();
        }
    }

    public void Dispose()
    {
        foreach (var slot in _slots)
        {
            slot.Dispose();
        }

        _signal.Dispose();
        _stopping.Dispose();
    }

    [LoggerMessage(EventId = 5100, Level = LogLevel.Error, Message = "Inference worker crashed")]
    private partial void LogWorkerCrashed(Exception exception);

    [LoggerMessage(EventId = 5102, Level = LogLevel.Debug, Message = "Compute threads keep the default scheduler slice ({Reason}); requests may wait up to a scheduler tick on a core they hold")]
    private partial void LogSliceUnchanged(string reason);

    [LoggerMessage(EventId = 5101, Level = LogLevel.Warning, Message = "Decode failed with {Result}; active requests were ended")]
    private partial void LogDecodeFailed(DecodeResult result);
}
