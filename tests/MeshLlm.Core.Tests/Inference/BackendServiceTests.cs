namespace MeshLlm.Inference;

public sealed class BackendServiceTests
{
    [Theory]
    [InlineData(1, 1)]
    [InlineData(2, 2)]
    [InlineData(3, 4)]
    [InlineData(5, 16)]
    [InlineData(6, 30)]
    [InlineData(60, 30)]
    public void RestartDelay_DoublesFromOneSecond_CappedAtThirty(int failures, int expectedSeconds) =>
        Assert.Equal(TimeSpan.FromSeconds(expectedSeconds), BackendService.RestartDelay(failures, new InferenceOptions()));
}
