using System.Text.Encodings.Web;
using System.Text.Json;

namespace MeshLlm.Inference.OpenAi;

/// <summary>JSON writer settings for API bodies: generated text is written as readable UTF-8, not \u-escaped.</summary>
public static class JsonOutput
{
    /// <summary>Relaxed escaping is safe here: bodies are JSON over HTTP, never embedded in HTML.</summary>
    public static JsonWriterOptions Options { get; } = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
}
