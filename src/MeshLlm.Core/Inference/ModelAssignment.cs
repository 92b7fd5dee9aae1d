namespace MeshLlm.Inference;

/// <summary>
/// The model a node without <c>--model</c> is given at run time (by the planner): <see cref="BackendService"/>
/// waits on it. Assigned at most once per process.
/// </summary>
public sealed class ModelAssignment
{
    private readonly TaskCompletionSource<string> _path = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private volatile bool _held;

    public bool IsAssigned => _path.Task.IsCompleted;

    /// <summary>Gives this node <paramref name="path"/> to serve; false if it already has a model or the planner is held back.</summary>
    public bool TryAssign(string path) => !_held && _path.TrySetResult(path);

    /// <summary>
    /// Keeps <see cref="TryAssign"/> from assigning until <see cref="Release"/>: an <c>--auto</c> node decides its first
    /// model itself (the tier's model, or the starter) when it starts a mesh.
    /// </summary>
    public void Hold() => _held = true;

    public void Release() => _held = false;

    /// <summary>Assigns <paramref name="path"/> even while held; false if this node already has a model.</summary>
    public bool AssignHeld(string path) => _path.TrySetResult(path);

    public Task<string> WaitAsync(CancellationToken cancellationToken) => _path.Task.WaitAsync(cancellationToken);
}
