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

    /// <summary>Adds or replaces the entry for <paramref name="model"/>'s name.</summary>
    public void Publish(ServedModel model)
    {
        ImmutableInterlocked.Update(ref _models, list =>
        {
            var index = list.FindIndex(m => m.Name == model.Name);
            return index >= 0 ? list.SetItem(index, model) : list.Add(model);
        });
        Changed?.Invoke();
    }
}

internal static class ImmutableArrayExtensions
{
    public static int FindIndex<T>(this ImmutableArray<T> list, Func<T, bool> predicate)
    {
        for (var i = 0; i < list.Length; i++)
        {
            if (predicate(list[i]))
            {
                return i;
            }
        }

        return -1;
    }
}
