using System.Collections.Immutable;
using MeshLlm.Inference;
using MeshLlm.Inference.OpenAi;

namespace MeshLlm.Routing;

public sealed class RoutePolicyTests
{
    private const int RetryAfter = 7;

    private static ServedModel Model(string name, ServingStatus status, int port = 8080) =>
        new(name, status, status == ServingStatus.Ready ? new Uri($"http://127.0.0.1:{port}/") : null, 4_000_000_000, 8_192, "llama-server");

    private static RouteDecision Choose(string? requested, params ServedModel[] models) =>
        RoutePolicy.Choose(requested, [.. models], RetryAfter);

    private static void AssertRoutedTo(RouteDecision decision, string model, int port)
    {
        Assert.Null(decision.Error);
        Assert.Equal(model, decision.Model);
        Assert.Equal(new Uri($"http://127.0.0.1:{port}/"), decision.Target);
    }

    private static OpenAiError AssertFailed(RouteDecision decision)
    {
        Assert.Null(decision.Model);
        Assert.Null(decision.Target);
        Assert.NotNull(decision.Error);
        return decision.Error;
    }

    [Theory]
    [InlineData(null, true)]
    [InlineData("", true)]
    [InlineData("auto", true)]
    [InlineData("AUTO", true)]
    [InlineData("Auto", true)]
    [InlineData("aUtO", true)]
    [InlineData(" auto", false)]
    [InlineData("auto ", false)]
    [InlineData(" ", false)]
    [InlineData("automatic", false)]
    [InlineData("qwen", false)]
    public void IsAuto_Name_ReturnsExpected(string? model, bool expected)
    {
        Assert.Equal(expected, RoutePolicy.IsAuto(model));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("auto")]
    [InlineData("AUTO")]
    public void Choose_Auto_PicksFirstReadyModel(string? requested)
    {
        RouteDecision decision = Choose(requested,
            Model("loading", ServingStatus.Loading),
            Model("failed", ServingStatus.Failed),
            Model("first", ServingStatus.Ready, 9001),
            Model("second", ServingStatus.Ready, 9002));

        AssertRoutedTo(decision, "first", 9001);
    }

    [Fact]
    public void Choose_AutoOnlyLoading_Returns503ModelLoadingWithRetryAfter()
    {
        OpenAiError error = AssertFailed(Choose("auto", Model("failed", ServingStatus.Failed), Model("big", ServingStatus.Loading), Model("small", ServingStatus.Loading)));

        Assert.Equal(503, error.StatusCode);
        Assert.Equal("model_loading", error.Code);
        Assert.Equal("server_error", error.Type);
        Assert.Equal(RetryAfter, error.RetryAfterSeconds);
        Assert.Equal("The model 'big' is loading. Retry in a few seconds.", error.Message);
    }

    public static TheoryData<ServedModel[]> NoUsableModels => new()
    {
        Array.Empty<ServedModel>(),
        new[] { Model("failed", ServingStatus.Failed) },
    };

    [Theory]
    [MemberData(nameof(NoUsableModels))]
    public void Choose_AutoWithNoReadyOrLoadingModel_Returns503NoModel(ServedModel[] models)
    {
        OpenAiError error = AssertFailed(Choose(null, models));

        Assert.Equal(503, error.StatusCode);
        Assert.Equal("no_model", error.Code);
        Assert.Equal("server_error", error.Type);
        Assert.Null(error.Param);
        Assert.Equal(RetryAfter, error.RetryAfterSeconds);
        Assert.Equal("No model is being served yet.", error.Message);
    }

    [Fact]
    public void Choose_AutoWithImmutableArrayEmpty_Returns503NoModel()
    {
        OpenAiError error = AssertFailed(RoutePolicy.Choose("auto", ImmutableArray<ServedModel>.Empty, RetryAfter));

        Assert.Equal("no_model", error.Code);
    }

    [Fact]
    public void Choose_ExactNameReady_RoutesToIt()
    {
        RouteDecision decision = Choose("b", Model("a", ServingStatus.Ready, 9001), Model("b", ServingStatus.Ready, 9002));

        AssertRoutedTo(decision, "b", 9002);
    }

    [Theory]
    [InlineData("qwen3-8b")]
    [InlineData("QWEN3-8B")]
    [InlineData("Qwen3-8b")]
    public void Choose_DifferentCase_FallsBackToCaseInsensitiveMatch(string requested)
    {
        RouteDecision decision = Choose(requested, Model("Llama", ServingStatus.Ready, 9001), Model("Qwen3-8B", ServingStatus.Ready, 9002));

        AssertRoutedTo(decision, "Qwen3-8B", 9002);
    }

    [Theory]
    [InlineData("Qwen", 9001)]
    [InlineData("qwen", 9002)]
    public void Choose_ExactMatchBeatsCaseInsensitiveMatch(string requested, int port)
    {
        RouteDecision decision = Choose(requested, Model("Qwen", ServingStatus.Ready, 9001), Model("qwen", ServingStatus.Ready, 9002));

        AssertRoutedTo(decision, requested, port);
    }

    [Fact]
    public void Choose_ExactMatchLoading_WinsOverReadyCaseVariant()
    {
        OpenAiError error = AssertFailed(Choose("qwen", Model("QWEN", ServingStatus.Ready, 9001), Model("qwen", ServingStatus.Loading)));

        Assert.Equal("model_loading", error.Code);
        Assert.Equal("The model 'qwen' is loading. Retry in a few seconds.", error.Message);
    }

    [Theory]
    [InlineData("big")]
    [InlineData("BIG")]
    public void Choose_NamedModelLoading_Returns503WithRetryAfter(string requested)
    {
        OpenAiError error = AssertFailed(Choose(requested, Model("small", ServingStatus.Ready), Model("big", ServingStatus.Loading)));

        Assert.Equal(503, error.StatusCode);
        Assert.Equal("model_loading", error.Code);
        Assert.Equal(RetryAfter, error.RetryAfterSeconds);
        Assert.Equal("The model 'big' is loading. Retry in a few seconds.", error.Message);
    }

    [Fact]
    public void Choose_NamedModelFailed_Returns503ModelUnavailable()
    {
        OpenAiError error = AssertFailed(Choose("broken", Model("ok", ServingStatus.Ready), Model("broken", ServingStatus.Failed)));

        Assert.Equal(503, error.StatusCode);
        Assert.Equal("model_unavailable", error.Code);
        Assert.Equal("server_error", error.Type);
        Assert.Null(error.Param);
        Assert.Null(error.RetryAfterSeconds);
        Assert.Equal("The model 'broken' failed to load on every node that has it; see their logs.", error.Message);
    }

    [Theory]
    [InlineData("gpt-4")]
    [InlineData(" ")]
    [InlineData("qwen ")]
    [InlineData("automatic")]
    public void Choose_UnknownName_Returns404ListingAvailableModels(string requested)
    {
        OpenAiError error = AssertFailed(Choose(requested,
            Model("qwen", ServingStatus.Ready), Model("llama", ServingStatus.Loading), Model("phi", ServingStatus.Failed)));

        Assert.Equal(404, error.StatusCode);
        Assert.Equal("model_not_found", error.Code);
        Assert.Equal("invalid_request_error", error.Type);
        Assert.Equal("model", error.Param);
        Assert.Null(error.RetryAfterSeconds);
        Assert.Equal($"The model '{requested}' does not exist. Available models: llama, phi, qwen.", error.Message);
    }

    [Fact]
    public void Choose_UnknownNameNoModels_Returns404SayingNothingServed()
    {
        OpenAiError error = AssertFailed(Choose("gpt-4"));

        Assert.Equal(404, error.StatusCode);
        Assert.Equal("model_not_found", error.Code);
        Assert.Equal("model", error.Param);
        Assert.Equal("The model 'gpt-4' does not exist: no model is being served yet.", error.Message);
    }

    [Fact]
    public void Choose_RetryAfterArgument_IsPassedThrough()
    {
        RouteDecision decision = RoutePolicy.Choose("m", [Model("m", ServingStatus.Loading)], 42);

        Assert.Equal(42, AssertFailed(decision).RetryAfterSeconds);
    }
}
