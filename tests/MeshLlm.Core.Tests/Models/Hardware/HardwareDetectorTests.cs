namespace MeshLlm.Models;

public sealed class HardwareDetectorTests
{
    private const long MiB = 1024 * 1024;

    [Fact]
    public void NvidiaSmi_TwoGpus_NamesAndMemorySummed()
    {
        // Captured from `nvidia-smi --query-gpu=name,memory.total --format=csv,noheader,nounits` on a two-GPU machine.
        const string output = "NVIDIA GeForce RTX 4090, 24564\nNVIDIA RTX A6000, 49140\n";

        var gpus = HardwareDetector.ParseNvidiaSmi(output);
        var report = HardwareDetector.Gpus(gpus, 64L << 30, "nvidia-smi");

        Assert.Equal([new GpuInfo("NVIDIA", "NVIDIA GeForce RTX 4090", 24564 * MiB), new GpuInfo("NVIDIA", "NVIDIA RTX A6000", 49140 * MiB)], gpus);
        Assert.Equal((24564 + 49140) * MiB, report.UsableBytes);
    }

    [Theory]
    [InlineData("")]
    [InlineData("NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver.")]
    [InlineData("No devices were found")]
    public void NvidiaSmi_NoDriverOrNoDevice_NoGpu(string output) => Assert.Empty(HardwareDetector.ParseNvidiaSmi(output));

    [Fact]
    public void RocmSmi_Csv_TotalColumnFoundByName()
    {
        // Captured from `rocm-smi --showmeminfo vram --csv` (ROCm 6.x): banner lines, then the CSV.
        const string output = """
            ============================ ROCm System Management Interface ============================
            device,VRAM Total Memory (B),VRAM Total Used Memory (B)
            card0,25753026560,1056768
            card1,25753026560,0
            ==================================== End of ROCm SMI Log ====================================
            """;

        var gpus = HardwareDetector.ParseRocmSmi(output);

        Assert.Equal(2, gpus.Count);
        Assert.All(gpus, g => Assert.Equal(25753026560, g.MemoryBytes));
        Assert.Equal("card1", gpus[1].Name);
    }

    [Fact]
    public void RocmSmi_UnexpectedOutput_NoGpu() => Assert.Empty(HardwareDetector.ParseRocmSmi("ERROR: No AMD GPUs specified"));

    [Fact]
    public void CpuOnlyAndApple_UseThreeQuartersOfRam()
    {
        const long ram = 24_000_000_000;

        Assert.Equal(18_000_000_000, HardwareDetector.CpuOnly(ram).UsableBytes);
        Assert.Empty(HardwareDetector.CpuOnly(ram).Gpus);
        Assert.Equal(18_000_000_000, HardwareDetector.Apple(ram).UsableBytes);
    }

    [Theory]
    [InlineData(24_000_000_000L, null, 24_000_000_000L)]
    [InlineData(24_000_000_000L, 8.0, 8_000_000_000L)]
    [InlineData(24_000_000_000L, 100.0, 24_000_000_000L)] // a cap above what there is changes nothing
    public void MaxVram_CapsButNeverRaises(long detected, double? maxGb, long expected) =>
        Assert.Equal(expected, Planning.NodeCapacity.Cap(detected, maxGb));
}
