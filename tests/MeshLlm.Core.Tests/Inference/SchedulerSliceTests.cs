namespace MeshLlm.Inference;

public sealed class SchedulerSliceTests
{
    private static bool KernelHasSlices => OperatingSystem.IsLinux() && Environment.OSVersion.Version >= new Version(6, 12);

    [Fact]
    public void TrySetForCurrentThread_ThreadAndItsChildrenGetTheSlice_OthersKeepTheirs()
    {
        var slice = TimeSpan.FromMilliseconds(7);
        string? reason = "not run";
        TimeSpan? own = null, child = null, sibling = null;

        RunOnNewThread(() =>
        {
            reason = SchedulerSlice.TrySetForCurrentThread(slice);
            own = SchedulerSlice.Get(0);
            RunOnNewThread(() => child = SchedulerSlice.Get(0));
        });
        RunOnNewThread(() => sibling = SchedulerSlice.Get(0));

        if (!KernelHasSlices)
        {
            Assert.NotNull(reason);
            return;
        }

        Assert.Null(reason);
        Assert.Equal(slice, own);
        Assert.Equal(slice, child);
        Assert.NotEqual(slice, sibling);
    }

    [Fact]
    public void Get_NoSuchThread_Null()
    {
        Assert.Null(SchedulerSlice.Get(int.MaxValue));
    }

    private static void RunOnNewThread(Action action)
    {
        var thread = new Thread(() => action());
        thread.Start();
        thread.Join();
    }
}
