namespace MeshLlm.Models;

public sealed class ModelNameTests
{
    [Theory]
    [InlineData("Qwen3-8B-Q4_K_M.gguf", "Qwen3-8B-Q4_K_M")]
    [InlineData("model.GGUF", "model")]
    [InlineData("model.Gguf", "model")]
    [InlineData("/m/Qwen3-8B-Q4_K_M-00001-of-00002.gguf", "Qwen3-8B-Q4_K_M")]
    [InlineData("Qwen3-8B-Q4_K_M-00002-of-00002.gguf", "Qwen3-8B-Q4_K_M")]
    [InlineData("big-00001-of-00003.GGUF", "big")]
    [InlineData("big-00001-of-00003", "big")]
    [InlineData("Qwen3-8B-Q4_K_M", "Qwen3-8B-Q4_K_M")]
    [InlineData("/home/user/.models/sub dir/Llama-3.2-1B.gguf", "Llama-3.2-1B")]
    [InlineData("relative/dir/tiny.gguf", "tiny")]
    [InlineData("model.gguf.gguf", "model.gguf")]
    [InlineData("model.gguf.part", "model.gguf.part")]
    [InlineData("model.bin", "model.bin")]
    [InlineData("gguf", "gguf")]
    [InlineData(".gguf", "")]
    [InlineData("", "")]
    public void FromPath_StripsExtensionAndSplitSuffix(string path, string expected)
    {
        Assert.Equal(expected, ModelName.FromPath(path));
    }

    [Theory]
    [InlineData("Llama-3-8B.gguf", "Llama-3-8B")]
    [InlineData("phi-2-00001.gguf", "phi-2-00001")]
    [InlineData("m-0001-of-0003.gguf", "m-0001-of-0003")]
    [InlineData("m-000001-of-000003.gguf", "m-000001-of-000003")]
    [InlineData("m-00001-of-00003-Q4.gguf", "m-00001-of-00003-Q4")]
    [InlineData("m-00001-OF-00003.gguf", "m-00001-OF-00003")]
    [InlineData("m_00001-of-00003.gguf", "m_00001-of-00003")]
    [InlineData("12345-of-67890.gguf", "12345-of-67890")]
    [InlineData("Qwen2.5-72B-Instruct-Q4_K_M.gguf", "Qwen2.5-72B-Instruct-Q4_K_M")]
    [InlineData("2024-01-01.gguf", "2024-01-01")]
    public void FromPath_DigitsThatAreNotASplitSuffix_AreKept(string path, string expected)
    {
        Assert.Equal(expected, ModelName.FromPath(path));
    }

    [Fact]
    public void FromPath_OnlySplitSuffixAtEnd_IsStripped()
    {
        Assert.Equal("a-00001-of-00002", ModelName.FromPath("a-00001-of-00002-00001-of-00002.gguf"));
    }
}
