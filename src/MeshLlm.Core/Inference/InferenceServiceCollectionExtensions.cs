using MeshLlm.Inference.LlamaCpp;
using MeshLlm.Inference.Processes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace MeshLlm.Inference;

/// <summary>Registers backends, process supervision and the service that keeps the model served.</summary>
public static class InferenceServiceCollectionExtensions
{
    /// <summary>Key of the embedded backend's registration (the LLamaSharp project registers it).</summary>
    public const string EmbeddedKey = "embedded";

    /// <summary>Key of the llama.cpp backend's registration.</summary>
    public const string LlamaCppKey = "llamacpp";

    public static IServiceCollection AddInference(this IServiceCollection services)
    {
        services.AddSingleton<ServingState>();
        services.AddSingleton<ModelAssignment>();
        // Alone unless the mesh registered its planner first.
        services.TryAddSingleton<ILaunchPlanner, SoloLaunchPlanner>();
        services.AddSingleton<ChildProcessRegistry>();
        services.AddKeyedSingleton<IInferenceBackend, LlamaCppBackend>(LlamaCppKey);
        services.AddSingleton(sp => sp.GetRequiredKeyedService<IInferenceBackend>(
            ChooseBackend(sp.GetRequiredService<IOptions<InferenceOptions>>().Value)));
        // A second model server of the same kind, for upgrades without a gap (BackendService.UpgradeAsync).
        services.AddSingleton<Func<IInferenceBackend>>(sp => () => (IInferenceBackend)ActivatorUtilities.CreateInstance(sp, sp.GetRequiredService<IInferenceBackend>().GetType()));
        services.AddSingleton<BackendService>();
        services.AddHostedService(sp => sp.GetRequiredService<BackendService>());
        return services;
    }

    /// <summary><c>auto</c> picks llama.cpp when its binaries are found, else the embedded engine.</summary>
    public static string ChooseBackend(InferenceOptions options) => options.Backend switch
    {
        "embedded" => EmbeddedKey,
        "llamacpp" => LlamaCppKey,
        _ => LlamaCppBinaries.Find(options.BinDir) is null ? EmbeddedKey : LlamaCppKey,
    };
}
