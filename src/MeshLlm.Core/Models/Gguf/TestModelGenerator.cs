namespace MeshLlm.Models.Gguf;

/// <summary>Writes a small llama-architecture GGUF with random weights that llama.cpp and LLamaSharp load and that always
/// generates printable text.</summary>
/// <remarks>
/// The output is a pure function of <see cref="TestModelOptions"/>: the same options give the same bytes on every run,
/// machine and .NET version. The weights follow the recipe in <see cref="TestModelWeights"/>; the vocabulary is
/// <see cref="TestModelVocabulary"/>; the chat template is ChatML.
/// </remarks>
internal static class TestModelGenerator
{
    /// <summary>The architecture written to <c>general.architecture</c>.</summary>
    public const string Architecture = "llama";

    /// <summary>The ChatML template written to <c>tokenizer.chat_template</c> (the \n are Jinja escapes, as in Hugging Face files).</summary>
    public const string ChatTemplate =
        """{% for message in messages %}{{'<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}""";

    /// <summary>The RoPE base frequency written to <c>llama.rope.freq_base</c>.</summary>
    public const float RopeFrequencyBase = 10000f;

    /// <summary>The epsilon written to <c>llama.attention.layer_norm_rms_epsilon</c>.</summary>
    public const float RmsNormEpsilon = 1e-5f;

    /// <summary>Writes the model to <paramref name="path"/>, through a temporary file so that a failure leaves no partial model.</summary>
    public static void Write(string path, TestModelOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        string temporaryPath = path + ".tmp";
        bool written = false;
        try
        {
            using (var stream = new FileStream(temporaryPath, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20))
            {
                Write(stream, options, cancellationToken);
            }

            File.Move(temporaryPath, path, overwrite: true);
            written = true;
        }
        finally
        {
            if (!written)
            {
                File.Delete(temporaryPath);
            }
        }
    }

    /// <summary>Writes the model to <paramref name="stream"/>, which need not be seekable.</summary>
    public static void Write(Stream stream, TestModelOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(stream);
        CreateWriter(options).WriteTo(stream, cancellationToken);
    }

    /// <summary>Builds a writer holding the model's metadata and tensor declarations; nothing is generated until it writes.</summary>
    public static GgufWriter CreateWriter(TestModelOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var writer = new GgufWriter { MaxDegreeOfParallelism = Environment.ProcessorCount };
        AddModelMetadata(writer, options);
        AddTokenizerMetadata(writer);
        TestModelWeights.AddTensors(writer, options);
        return writer;
    }

    /// <summary>Gets <c>general.file_type</c> for a weight type: 0 all F32, 1 mostly F16, 7 mostly Q8_0.</summary>
    public static uint GetFileType(GgmlType tensorType) => tensorType switch
    {
        GgmlType.F32 => 0,
        GgmlType.F16 => 1,
        GgmlType.Q8_0 => 7,
        _ => throw new ArgumentOutOfRangeException(nameof(tensorType), tensorType, "Use F32, F16 or Q8_0."),
    };

    private static void AddModelMetadata(GgufWriter writer, TestModelOptions options)
    {
        writer.AddString("general.architecture", Architecture);
        writer.AddString("general.name", options.Name);
        writer.AddUInt32(GgufWriter.AlignmentKey, GgufWriter.DefaultAlignment);
        writer.AddUInt32("general.file_type", GetFileType(options.TensorType));
        writer.AddUInt32("llama.context_length", (uint)options.ContextLength);
        writer.AddUInt32("llama.embedding_length", (uint)options.EmbeddingLength);
        writer.AddUInt32("llama.block_count", (uint)options.LayerCount);
        writer.AddUInt32("llama.feed_forward_length", (uint)options.FeedForwardLength);
        writer.AddUInt32("llama.attention.head_count", (uint)options.HeadCount);
        writer.AddUInt32("llama.attention.head_count_kv", (uint)options.HeadCountKv);
        writer.AddUInt32("llama.rope.dimension_count", (uint)(options.EmbeddingLength / options.HeadCount));
        writer.AddFloat32("llama.rope.freq_base", RopeFrequencyBase);
        writer.AddFloat32("llama.attention.layer_norm_rms_epsilon", RmsNormEpsilon);
        writer.AddUInt32("llama.vocab_size", TestModelVocabulary.Size);
    }

    private static void AddTokenizerMetadata(GgufWriter writer)
    {
        writer.AddString("tokenizer.ggml.model", "gpt2");
        writer.AddString("tokenizer.ggml.pre", "gpt-2");
        writer.AddArray("tokenizer.ggml.tokens", TestModelVocabulary.Tokens);
        writer.AddArray("tokenizer.ggml.token_type", TestModelVocabulary.TokenTypes);
        writer.AddArray("tokenizer.ggml.merges", TestModelVocabulary.Merges);
        writer.AddUInt32("tokenizer.ggml.bos_token_id", TestModelVocabulary.BosId);
        writer.AddUInt32("tokenizer.ggml.eos_token_id", TestModelVocabulary.EosId);
        writer.AddUInt32("tokenizer.ggml.eot_token_id", TestModelVocabulary.EotId);
        writer.AddUInt32("tokenizer.ggml.padding_token_id", TestModelVocabulary.PaddingId);
        writer.AddBool("tokenizer.ggml.add_bos_token", false);
        writer.AddBool("tokenizer.ggml.add_eos_token", false);
        writer.AddString(GgufFile.ChatTemplateKey, ChatTemplate);
    }
}
