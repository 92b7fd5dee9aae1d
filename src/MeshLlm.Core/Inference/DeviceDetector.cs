using MeshLlm.Inference.Processes;

namespace MeshLlm.Inference;

/// <summary>Finds the accelerator llama.cpp should use: CUDA, ROCm, Vulkan, Metal, else the CPU.</summary>
public static class DeviceDetector
{
    public static readonly IReadOnlyList<string> Devices = ["auto", "cpu", "cuda", "rocm", "vulkan", "metal"];

    private static readonly TimeSpan s_probeTimeout = TimeSpan.FromSeconds(10);

    /// <summary>Resolves <c>auto</c> by probing the vendor tools; other values are returned as given.</summary>
    public static async Task<string> ResolveAsync(string device, CancellationToken cancellationToken)
    {
        if (device != "auto")
        {
            return device;
        }

        if (OperatingSystem.IsMacOS())
        {
            return "metal";
        }

        if (await ListsGpuAsync("nvidia-smi", ["-L"], "GPU ", cancellationToken))
        {
            return "cuda";
        }

        if (await ListsGpuAsync("rocm-smi", ["--showproductname"], "GPU", cancellationToken))
        {
            return "rocm";
        }

        return await ListsGpuAsync("vulkaninfo", ["--summary"], "PHYSICAL_DEVICE_TYPE_DISCRETE_GPU", cancellationToken) ? "vulkan" : "cpu";
    }

    /// <summary>Layers to offload: everything on an accelerator, nothing on the CPU.</summary>
    public static int GpuLayers(string device) => device == "cpu" ? 0 : AllLayers;

    /// <summary><c>--n-gpu-layers</c> value that offloads every layer (to GPUs and RPC devices).</summary>
    public const int AllLayers = 999;

    private static async Task<bool> ListsGpuAsync(string tool, IReadOnlyList<string> arguments, string marker, CancellationToken cancellationToken)
    {
        var path = CommandRunner.OnPath(tool);
        return path is not null
            && (await CommandRunner.RunAsync(path, arguments, s_probeTimeout, cancellationToken))?.Contains(marker, StringComparison.Ordinal) == true;
    }
}
