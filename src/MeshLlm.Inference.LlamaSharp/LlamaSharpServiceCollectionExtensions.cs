using Microsoft.Extensions.DependencyInjection;

namespace MeshLlm.Inference.LlamaSharp;

/// <summary>Registers the embedded (LLamaSharp) backend.</summary>
public static class LlamaSharpServiceCollectionExtensions
{
    public static IServiceCollection AddEmbeddedBackend(this IServiceCollection services) =>
        services.AddKeyedSingleton<IInferenceBackend, EmbeddedBackend>(InferenceServiceCollectionExtensions.EmbeddedKey);
}
