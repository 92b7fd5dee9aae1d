using System.Collections.Immutable;

namespace MeshLlm.Inference;

/// <summary>Lifecycle of a locally served model.</summary>
public enum ServingStatus
{
    Loading,
    Ready,
    Failed,

    /// <summary>No model server here: this node lends its rpc-server to the host of a split of the model.</summary>
    Lending,

    /// <summary>No model server here: the model does not fit on the nodes that have it; waiting for more memory.</summary>
    Waiting,
}

/// <summary>A model this node serves (or is about to), as the router sees it.</summary>
public sealed record ServedModel(string Name, ServingStatus Status, Uri? Endpoint, long SizeBytes, int ContextLength, string Backend)
{
    /// <summary>The model server's in-process door for tunnels (<see cref="BackendEndpoint.Direct"/>), if it has one.</summary>
    public IDirectConnections? Direct { get; init; }
}

/// <summary>Publishes this node's served models as immutable snapshots; readers never lock.</summary>
public sealed class ServingState
{
    private readonly System.Collections.Concurrent.ConcurrentDictionary<Uri, int> _inUse = new();
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

    /// <summary>Swaps <paramref name="old"/> for <paramref name="model"/> in one change (an upgrade: routing moves at once).</summary>
    public void Replace(string old, ServedModel model)
    {
        ImmutableInterlocked.Update(ref _models, list => list.RemoveAll(m => m.Name == old || m.Name == model.Name).Insert(0, model));
        Changed?.Invoke();
    }

    /// <summary>Counts a request sent to a local model server until the result is disposed (upgrades wait for these).</summary>
    public IDisposable Use(Uri endpoint)
    {
        _inUse.AddOrUpdate(endpoint, 1, (_, n) => n + 1);
        return new Release(() => _inUse.AddOrUpdate(endpoint, 0, (_, n) => n - 1));
    }

    /// <summary>Requests in flight to the local model server at <paramref name="endpoint"/>.</summary>
    public int InUse(Uri endpoint) => _inUse.GetValueOrDefault(endpoint);

    private sealed class Release(Action release) : IDisposable
    {
        private int _done;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _done, 1) == 0)
            {
                release();
            }
        }
    }

    /// <summary>Adds or replaces the entry for <paramref name="model"/>'s name.</summary>
    public void Publish(ServedModel model)
    {
        ImmutableInterlocked.Update(ref _models, list =>
            list.FirstOrDefault(m => m.Name == model.Name) is { } existing ? list.Replace(existing, model) : list.Add(model));
        Changed?.Invoke();
    }
}

/// <summary>The names of <see cref="ServingStatus"/> values in announcements and the status API.</summary>
public static class ServingStatusNames
{
    /// <summary><c>loading</c>, <c>ready</c>, <c>failed</c>, <c>lending</c> or <c>waiting</c>: the names announcements and the status API use.</summary>
    public static string Of(ServingStatus status) => status switch
    {
        ServingStatus.Ready => "ready",
        ServingStatus.Failed => "failed",
        ServingStatus.Lending => "lending",
        ServingStatus.Waiting => "waiting",
        _ => "loading",
    };

    /// <summary>The status a state name announces; unknown names read as loading.</summary>
    public static ServingStatus Parse(string? name) => name switch
    {
        "ready" => ServingStatus.Ready,
        "failed" => ServingStatus.Failed,
        "lending" => ServingStatus.Lending,
        "waiting" => ServingStatus.Waiting,
        _ => ServingStatus.Loading,
    };
}
