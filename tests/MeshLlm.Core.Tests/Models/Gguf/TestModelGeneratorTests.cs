using System.Security.Cryptography;

namespace MeshLlm.Models.Gguf;

public sealed class TestModelGeneratorTests
{
    public static TheoryData<string, object> ExpectedTinyMetadata => new()
    {
        { "general.architecture", "llama" },
        { "general.name", "mesh-llm-test-tiny" },
        { "general.alignment", 32u },
        { "general.file_type", 0u },
        { "llama.context_length", 2048u },
        { "llama.embedding_length", 64u },
        { "llama.block_count", 2u },
        { "llama.feed_forward_length", 192u },
        { "llama.attention.head_count", 4u },
        { "llama.attention.head_count_kv", 2u },
        { "llama.rope.dimension_count", 16u },
        { "llama.rope.freq_base", 10000f },
        { "llama.attention.layer_norm_rms_epsilon", 1e-5f },
        { "llama.vocab_size", 306u },
        { "tokenizer.ggml.model", "gpt2" },
        { "tokenizer.ggml.pre", "gpt-2" },
        { "tokenizer.ggml.bos_token_id", 303u },
        { "tokenizer.ggml.eos_token_id", 305u },
        { "tokenizer.ggml.eot_token_id", 305u },
        { "tokenizer.ggml.padding_token_id", 303u },
        { "tokenizer.ggml.add_bos_token", false },
        { "tokenizer.ggml.add_eos_token", false },
        { "tokenizer.chat_template", TestModelGenerator.ChatTemplate },
    };

    private static readonly string[] s_arrayKeys = ["tokenizer.ggml.tokens", "tokenizer.ggml.token_type", "tokenizer.ggml.merges"];

    [Theory]
    [MemberData(nameof(ExpectedTinyMetadata))]
    public void Write_Tiny_HasMetadataValue(string key, object expected)
    {
        GgufFile file = GgufTestData.Read(GgufTestData.TinyModel);

        Assert.Equal(expected, file.Metadata[key]);
    }

    [Fact]
    public void Write_Tiny_HasExactlyTheExpectedKeysAndVocabularyArrays()
    {
        GgufFile file = GgufTestData.Read(GgufTestData.TinyModel);

        IEnumerable<string> expectedKeys = ExpectedTinyMetadata.Select(row => (string)row.Data.Item1).Concat(s_arrayKeys);
        Assert.Equal(expectedKeys.Order(StringComparer.Ordinal), file.Metadata.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(TestModelVocabulary.Tokens, Assert.IsType<string[]>(file.Metadata["tokenizer.ggml.tokens"]));
        Assert.Equal(TestModelVocabulary.TokenTypes, Assert.IsType<int[]>(file.Metadata["tokenizer.ggml.token_type"]));
        Assert.Equal(TestModelVocabulary.Merges, Assert.IsType<string[]>(file.Metadata["tokenizer.ggml.merges"]));
        Assert.Equal("llama", file.Architecture);
        Assert.Equal(2048u, file.ContextLength);
        Assert.Contains("<|im_start|>assistant\\n", file.ChatTemplate, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData((int)GgmlType.F32, 0u)]
    [InlineData((int)GgmlType.F16, 1u)]
    [InlineData((int)GgmlType.Q8_0, 7u)]
    public void Write_TensorType_WritesLlamaTensorTable(int tensorType, uint fileType)
    {
        var type = (GgmlType)tensorType;
        byte[] bytes = GgufTestData.Generate(TestModelOptions.Tiny with { TensorType = type });

        GgufFile file = GgufTestData.Read(bytes);

        Assert.Equal(fileType, file.Metadata["general.file_type"]);
        Assert.Equal(ExpectedTensors(type), file.Tensors.Select(t => (t.Name, string.Join('x', t.Dimensions), t.Type)));
        long end = 0;
        foreach (GgufTensorInfo tensor in file.Tensors)
        {
            Assert.Equal(0, tensor.Offset % 32);
            Assert.True(tensor.Offset >= end, $"{tensor.Name} overlaps the tensor before it.");
            end = tensor.Offset + tensor.ByteSize!.Value;
        }

        Assert.Equal(0, file.DataOffset % 32);
        Assert.Equal(file.DataOffset + end, bytes.Length);
    }

    [Fact]
    public void Write_Tiny_IsAboutHalfAMegabyte()
    {
        int length = GgufTestData.TinyModel.Length;

        Assert.InRange(length, 500_000, 600_000);
    }

    [Fact]
    public void Write_SameSeed_GivesIdenticalBytes()
    {
        byte[] first = SHA256.HashData(GgufTestData.Generate(TestModelOptions.Tiny));
        byte[] second = SHA256.HashData(GgufTestData.Generate(TestModelOptions.Tiny));

        Assert.Equal(first, second);
    }

    [Fact]
    public void Write_DifferentSeed_GivesDifferentWeights()
    {
        byte[] other = GgufTestData.Generate(TestModelOptions.Tiny with { Seed = 7 });

        Assert.Equal(GgufTestData.TinyModel.Length, other.Length);
        Assert.NotEqual(SHA256.HashData(GgufTestData.TinyModel), SHA256.HashData(other));
        GgufFile file = GgufTestData.Read(other);
        Assert.NotEqual(
            GgufTestData.ReadTensor(GgufTestData.TinyModel, file, "blk.0.attn_q.weight"),
            GgufTestData.ReadTensor(other, file, "blk.0.attn_q.weight"));
    }

    [Fact]
    public void Write_Tiny_ResidualDimensionZeroIsConstantAndUntouched()
    {
        byte[] bytes = GgufTestData.TinyModel;
        GgufFile file = GgufTestData.Read(bytes);
        float[] Tensor(string name) => GgufTestData.ReadTensor(bytes, file, name);
        const int Embd = 64;

        float[] embeddings = Tensor("token_embd.weight");
        Assert.All(Enumerable.Range(0, TestModelVocabulary.Size), t => Assert.Equal(1f, embeddings[t * Embd]));
        Assert.Equal([100f, .. Enumerable.Repeat(1f, Embd - 1)], Tensor("output_norm.weight"));
        for (int layer = 0; layer < 2; layer++)
        {
            Assert.Equal([0f, .. Enumerable.Repeat(1f, Embd - 1)], Tensor($"blk.{layer}.attn_norm.weight"));
            Assert.Equal([0f, .. Enumerable.Repeat(1f, Embd - 1)], Tensor($"blk.{layer}.ffn_norm.weight"));
            Assert.All(Tensor($"blk.{layer}.attn_output.weight")[..Embd], v => Assert.Equal(0f, v));
            Assert.All(Tensor($"blk.{layer}.ffn_down.weight")[..192], v => Assert.Equal(0f, v));
            Assert.Contains(Tensor($"blk.{layer}.ffn_down.weight")[192..], v => v != 0f);
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Write_OutputColumnZero_PushesBannedTokensDown(bool allowEos)
    {
        byte[] bytes = allowEos ? GgufTestData.Generate(TestModelOptions.Tiny with { AllowEos = true }) : GgufTestData.TinyModel;
        GgufFile file = GgufTestData.Read(bytes);

        float[] output = GgufTestData.ReadTensor(bytes, file, "output.weight");

        for (int token = 0; token < TestModelVocabulary.Size; token++)
        {
            float expected = TestModelVocabulary.IsBanned(token, allowEos) ? -5f : 0f;
            Assert.Equal(expected, output[token * 64]);
        }

        Assert.Equal(allowEos ? 0f : -5f, output[TestModelVocabulary.ImEndId * 64]);
    }

    [Fact]
    public void Write_Tiny_RandomWeightsAreBoundedByFanIn()
    {
        GgufFile file = GgufTestData.Read(GgufTestData.TinyModel);

        float[] q = GgufTestData.ReadTensor(GgufTestData.TinyModel, file, "blk.1.attn_q.weight");
        float[] down = GgufTestData.ReadTensor(GgufTestData.TinyModel, file, "blk.1.ffn_down.weight");

        Assert.All(q, v => Assert.InRange(Math.Abs(v), 0f, MathF.Sqrt(3f / 64)));
        Assert.All(down, v => Assert.InRange(Math.Abs(v), 0f, MathF.Sqrt(3f / 192)));
        Assert.InRange(q.Average(v => (double)v * v), 0.5 / 64, 1.5 / 64);
    }

    [Fact]
    public void Write_Path_WritesReadableFileWithoutTemporary()
    {
        string directory = Directory.CreateTempSubdirectory("gguf-generator-tests-").FullName;
        try
        {
            string path = Path.Combine(directory, "tiny.gguf");

            TestModelGenerator.Write(path, TestModelOptions.Tiny, TestContext.Current.CancellationToken);

            Assert.Equal(GgufTestData.TinyModel, File.ReadAllBytes(path));
            Assert.Equal([path], Directory.GetFiles(directory));
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public void Presets_Bench_HasDocumentedShape()
    {
        TestModelOptions bench = TestModelOptions.Bench;

        Assert.Equal((1024, 12, 16, 8, 2816, GgmlType.Q8_0), (bench.EmbeddingLength, bench.LayerCount, bench.HeadCount, bench.HeadCountKv, bench.FeedForwardLength, bench.TensorType));
        Assert.Equal(512, bench.KvEmbeddingLength);
        bench.Validate();
        (bench with { TensorType = GgmlType.F16 }).Validate();
    }

    public static TheoryData<string> InvalidOptions => new(s_invalidOptions.Keys);

    private static readonly Dictionary<string, TestModelOptions> s_invalidOptions = new()
    {
        ["zero layers"] = TestModelOptions.Tiny with { LayerCount = 0 },
        ["heads do not divide width"] = TestModelOptions.Tiny with { HeadCount = 3 },
        ["kv heads do not divide heads"] = TestModelOptions.Tiny with { HeadCountKv = 3 },
        ["odd head size"] = TestModelOptions.Tiny with { EmbeddingLength = 36, HeadCount = 4, HeadCountKv = 4 },
        ["Q8_0 width not a multiple of 32"] = TestModelOptions.Tiny with { EmbeddingLength = 48, TensorType = GgmlType.Q8_0 },
        ["Q8_0 FFN not a multiple of 32"] = TestModelOptions.Tiny with { FeedForwardLength = 100, TensorType = GgmlType.Q8_0 },
        ["unsupported type"] = TestModelOptions.Tiny with { TensorType = (GgmlType)2 },
        ["empty name"] = TestModelOptions.Tiny with { Name = " " },
        ["zero context"] = TestModelOptions.Tiny with { ContextLength = 0 },
    };

    [Theory]
    [MemberData(nameof(InvalidOptions))]
    public void Write_InvalidOptions_ThrowsArgumentException(string name) =>
        Assert.ThrowsAny<ArgumentException>(() => TestModelGenerator.CreateWriter(s_invalidOptions[name]));

    private static List<(string Name, string Dimensions, GgmlType Type)> ExpectedTensors(GgmlType type)
    {
        var expected = new List<(string, string, GgmlType)>
        {
            ("token_embd.weight", "64x306", type),
            ("output_norm.weight", "64", GgmlType.F32),
            ("output.weight", "64x306", type),
        };
        for (int layer = 0; layer < 2; layer++)
        {
            expected.AddRange(
            [
                ($"blk.{layer}.attn_norm.weight", "64", GgmlType.F32),
                ($"blk.{layer}.attn_q.weight", "64x64", type),
                ($"blk.{layer}.attn_k.weight", "64x32", type),
                ($"blk.{layer}.attn_v.weight", "64x32", type),
                ($"blk.{layer}.attn_output.weight", "64x64", type),
                ($"blk.{layer}.ffn_norm.weight", "64", GgmlType.F32),
                ($"blk.{layer}.ffn_gate.weight", "64x192", type),
                ($"blk.{layer}.ffn_up.weight", "64x192", type),
                ($"blk.{layer}.ffn_down.weight", "192x64", type),
            ]);
        }

        return expected;
    }
}
