using MeshLlm.Models.Gguf;

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

        try
        {
            if (!GgufReader.IsGguf(path))
            {
                return $"'{path}' is not a GGUF model file (it does not start with the GGUF signature).";
            }

            // Reads the header, metadata and tensor table only; catches truncated or corrupt files early.
            GgufReader.Read(path);
        }
        catch (InvalidDataException e)
        {
            return $"'{path}' is not a valid GGUF model: {e.Message}";
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
