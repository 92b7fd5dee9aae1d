using System.Collections.Immutable;

namespace MeshLlm.Inference;

/// <summary>Lifecycle of a locally served model.</summary>
public enum ServingStatus
{
    Loading,
    Ready,
    Failed,
}

/// <summary>A model this node serves (or is about to), as the router sees it.</summary>
public sealed record ServedModel(string Name, ServingStatus Status, Uri? Endpoint, long SizeBytes, int ContextLength, string Backend);

/// <summary>Publishes this node's served models as immutable snapshots; readers never lock.</summary>
public sealed class ServingState
{
    private ImmutableArray<ServedModel> _models = [];

    /// <summary>The current snapshot.</summary>
    public ImmutableArray<ServedModel> Models => _models;

    /// <summary>Raised after every change, with the new snapshot already visible.</summary>
    public event Action? Changed;

    /// <summary>Removes the entry for <paramref name="name"/> (the node stopped serving it).</summary>
    public void Remove(string name)
    {
        ImmutableInterlocked.Update(ref _models, list => list.RemoveAll(m => m.Name == name));
        Changed?.Invoke();
    }

    /// <summary>Adds or replaces the entry for <paramref name="model"/>'s name.</summary>
    public void Publish(ServedModel model)
    {
        ImmutableInterlocked.Update(ref _models, list =>
            list.FirstOrDefault(m => m.Name == model.Name) is { } existing ? list.Replace(existing, model) : list.Add(model));
        Changed?.Invoke();
    }
}
