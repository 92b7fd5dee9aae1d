namespace MeshLlm.Hosting;

/// <summary>Checks a model path before anything starts, so a mistake gets one clear line.</summary>
internal static class ModelFileCheck
{
    /// <summary>Returns what is wrong with the file, or null when it looks like a GGUF model.</summary>
    public static string? Validate(string path)
    {
        if (Directory.Exists(path))
        {
            return $"'{path}' is a directory; --model needs a .gguf file.";
        }

        if (!File.Exists(path))
        {
            return $"Model file '{path}' does not exist. Check the path (relative paths start from {Environment.CurrentDirectory}).";
        }

        Span<byte> magic = stackalloc byte[4];
        try
        {
            using var stream = File.OpenRead(path);
            if (stream.ReadAtLeast(magic, 4, throwOnEndOfStream: false) < 4 || !magic.SequenceEqual("GGUF"u8))
            {
                return $"'{path}' is not a GGUF model file (it does not start with the GGUF signature).";
            }
        }
        catch (UnauthorizedAccessException)
        {
            return $"Model file '{path}' cannot be read: permission denied. Check its permissions.";
        }
        catch (IOException e)
        {
            return $"Model file '{path}' cannot be read: {e.Message}";
        }

        return null;
    }
}
