namespace MeshLlm.Inference;

/// <summary>
/// The model a node without <c>--model</c> is given at run time (by the planner): <see cref="BackendService"/>
/// waits on it. Assigned at most once per process.
/// </summary>
public sealed class ModelAssignment
{
    private readonly TaskCompletionSource<string> _path = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public bool IsAssigned => _path.Task.IsCompleted;

    /// <summary>Gives this node <paramref name="path"/> to serve; false if it already has a model.</summary>
    public bool TryAssign(string path) => _path.TrySetResult(path);

    public Task<string> WaitAsync(CancellationToken cancellationToken) => _path.Task.WaitAsync(cancellationToken);
}
