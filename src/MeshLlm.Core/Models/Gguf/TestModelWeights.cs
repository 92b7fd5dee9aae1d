namespace MeshLlm.Models.Gguf;

/// <summary>Declares a test model's tensors and the deterministic random rows that fill them.</summary>
/// <remarks>
/// Weights are uniform with standard deviation 1/sqrt(fan_in) (1 for token embeddings) and norms are 1, except for a
/// trick that makes every sample printable and keeps generation from ending early:
/// <list type="number">
/// <item>Residual dimension 0 is the constant 1 in every token embedding.</item>
/// <item>No layer reads it (attn_norm[0] = ffn_norm[0] = 0) or writes it (output row 0 of attn_output and ffn_down is 0).</item>
/// <item>output_norm[0] = 100 amplifies it, and output.weight holds -5 at (0, t) for each banned token t
/// (<see cref="TestModelVocabulary.IsBanned"/>), so those logits sit hundreds below the rest.</item>
/// </list>
/// Each row's values come from SplitMix64 seeded by (seed, tensor name, row), so rows can be made in any order and in parallel.
/// </remarks>
internal static class TestModelWeights
{
    /// <summary>output.weight at (0, t) for banned tokens t.</summary>
    public const float BannedTokenWeight = -5f;

    /// <summary>output_norm.weight[0], which scales the constant dimension before the output projection.</summary>
    public const float OutputNormAmplification = 100f;

    private static readonly float s_sqrt3 = MathF.Sqrt(3f);

    public static void AddTensors(GgufWriter writer, TestModelOptions options)
    {
        long embd = options.EmbeddingLength;
        long embdKv = options.KvEmbeddingLength;
        long ff = options.FeedForwardLength;
        GgmlType type = options.TensorType;
        ulong seed = options.Seed;

        writer.AddTensor("token_embd.weight", [embd, TestModelVocabulary.Size], type, TokenEmbedding(seed));
        writer.AddTensor("output_norm.weight", [embd], GgmlType.F32, Norm(OutputNormAmplification));
        writer.AddTensor("output.weight", [embd, TestModelVocabulary.Size], type, Output(seed, options.AllowEos));
        for (int layer = 0; layer < options.LayerCount; layer++)
        {
            string prefix = $"blk.{layer}.";
            writer.AddTensor(prefix + "attn_norm.weight", [embd], GgmlType.F32, Norm(0f));
            AddMatrix(writer, options, prefix + "attn_q.weight", embd, embd, zeroRow0: false);
            AddMatrix(writer, options, prefix + "attn_k.weight", embd, embdKv, zeroRow0: false);
            AddMatrix(writer, options, prefix + "attn_v.weight", embd, embdKv, zeroRow0: false);
            AddMatrix(writer, options, prefix + "attn_output.weight", embd, embd, zeroRow0: true);
            writer.AddTensor(prefix + "ffn_norm.weight", [embd], GgmlType.F32, Norm(0f));
            AddMatrix(writer, options, prefix + "ffn_gate.weight", embd, ff, zeroRow0: false);
            AddMatrix(writer, options, prefix + "ffn_up.weight", embd, ff, zeroRow0: false);
            AddMatrix(writer, options, prefix + "ffn_down.weight", ff, embd, zeroRow0: true);
        }
    }

    // Declares an [ne0, ne1] matrix; ne0 is the fan-in. zeroRow0 makes output index 0 (row 0) all zero, so the
    // matrix never writes residual dimension 0.
    private static void AddMatrix(GgufWriter writer, TestModelOptions options, string name, long ne0, long ne1, bool zeroRow0)
    {
        ulong tensorSeed = TensorSeed(options.Seed, name);
        float bound = MathF.Sqrt(3f / ne0);
        writer.AddTensor(name, [ne0, ne1], options.TensorType, (row, values) =>
        {
            FillUniform(tensorSeed, row, bound, values);
            if (zeroRow0 && row == 0)
            {
                values.Clear();
            }
        });
    }

    private static GgufRowSource TokenEmbedding(ulong seed)
    {
        ulong tensorSeed = TensorSeed(seed, "token_embd.weight");
        return (row, values) =>
        {
            FillUniform(tensorSeed, row, s_sqrt3, values);
            values[0] = 1f;
        };
    }

    private static GgufRowSource Output(ulong seed, bool allowEos)
    {
        ulong tensorSeed = TensorSeed(seed, "output.weight");
        return (row, values) =>
        {
            FillUniform(tensorSeed, row, MathF.Sqrt(3f / values.Length), values);
            values[0] = TestModelVocabulary.IsBanned((int)row, allowEos) ? BannedTokenWeight : 0f;
        };
    }

    private static GgufRowSource Norm(float first) => (_, values) =>
    {
        values.Fill(1f);
        values[0] = first;
    };

    private static ulong TensorSeed(ulong seed, string name) => SplitMix64.Mix(seed ^ SplitMix64.Hash(name));

    private static void FillUniform(ulong tensorSeed, long row, float bound, Span<float> values)
    {
        // Mix the row in, so that neighbouring rows start far apart in the generator's sequence.
        var random = new SplitMix64(SplitMix64.Mix(tensorSeed + (ulong)row));
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = random.NextUniform(bound);
        }
    }
}
