using System.Collections.Immutable;

namespace MeshLlm.Inference;

public sealed class ServingStateTests
{
    private static ServedModel Model(string name, ServingStatus status, int port = 8080) =>
        new(name, status, status == ServingStatus.Ready ? new Uri($"http://127.0.0.1:{port}/") : null, 1_000, 4_096, "llama");

    [Fact]
    public void Models_New_IsEmpty()
    {
        var state = new ServingState();

        Assert.True(state.Models.IsEmpty);
        Assert.False(state.Models.IsDefault);
    }

    [Fact]
    public void Publish_NewNames_AddsInOrder()
    {
        var state = new ServingState();
        ServedModel a = Model("a", ServingStatus.Loading);
        ServedModel b = Model("b", ServingStatus.Ready);

        state.Publish(a);
        state.Publish(b);

        Assert.Equal([a, b], state.Models);
    }

    [Fact]
    public void Publish_SameName_ReplacesInPlace()
    {
        var state = new ServingState();
        state.Publish(Model("a", ServingStatus.Loading));
        state.Publish(Model("b", ServingStatus.Loading));
        state.Publish(Model("c", ServingStatus.Loading));
        ServedModel readyB = Model("b", ServingStatus.Ready, 9000);

        state.Publish(readyB);

        Assert.Equal(["a", "b", "c"], state.Models.Select(m => m.Name));
        Assert.Same(readyB, state.Models[1]);
        Assert.Equal(new Uri("http://127.0.0.1:9000/"), state.Models[1].Endpoint);
    }

    [Fact]
    public void Publish_NameDifferingOnlyInCase_AddsSeparateEntry()
    {
        var state = new ServingState();

        state.Publish(Model("Qwen", ServingStatus.Ready));
        state.Publish(Model("qwen", ServingStatus.Failed));

        Assert.Equal([("Qwen", ServingStatus.Ready), ("qwen", ServingStatus.Failed)], state.Models.Select(m => (m.Name, m.Status)));
    }

    [Fact]
    public void Publish_RaisesChangedAfterSnapshotIsVisible()
    {
        var state = new ServingState();
        var seen = new List<ImmutableArray<ServedModel>>();
        state.Changed += () => seen.Add(state.Models);
        ServedModel loading = Model("a", ServingStatus.Loading);
        ServedModel ready = Model("a", ServingStatus.Ready);

        state.Publish(loading);
        state.Publish(ready);

        Assert.Equal(2, seen.Count);
        Assert.Equal([loading], seen[0]);
        Assert.Equal([ready], seen[1]);
    }

    [Fact]
    public void Publish_EqualValueAgain_StillRaisesChanged()
    {
        var state = new ServingState();
        var count = 0;
        state.Changed += () => count++;

        state.Publish(Model("a", ServingStatus.Ready));
        state.Publish(Model("a", ServingStatus.Ready));

        Assert.Equal(2, count);
        Assert.Single(state.Models);
    }

    [Fact]
    public void Publish_NoSubscribers_DoesNotThrow()
    {
        var state = new ServingState();

        state.Publish(Model("a", ServingStatus.Ready));

        Assert.Single(state.Models);
    }

    [Fact]
    public void Models_OldSnapshot_IsUnchangedByLaterPublishes()
    {
        var state = new ServingState();
        ServedModel loading = Model("a", ServingStatus.Loading);
        state.Publish(loading);
        ImmutableArray<ServedModel> before = state.Models;

        state.Publish(Model("a", ServingStatus.Ready));
        state.Publish(Model("b", ServingStatus.Ready));

        Assert.Equal([loading], before);
        Assert.Equal(ServingStatus.Ready, state.Models[0].Status);
        Assert.Equal(2, state.Models.Length);
    }

    [Fact]
    public void Publish_ConcurrentDistinctNames_KeepsEveryModel()
    {
        var state = new ServingState();
        var changes = 0;
        state.Changed += () => Interlocked.Increment(ref changes);

        Parallel.For(0, 200, i => state.Publish(Model($"m{i}", ServingStatus.Ready, 10_000 + i)));

        Assert.Equal(200, changes);
        Assert.Equal(Enumerable.Range(0, 200).Select(i => $"m{i}").Order(StringComparer.Ordinal), state.Models.Select(m => m.Name).Order(StringComparer.Ordinal));
    }
}
