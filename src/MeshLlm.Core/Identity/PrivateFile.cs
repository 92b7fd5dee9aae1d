namespace MeshLlm.Identity;

/// <summary>Secret files (keys): created with mode 0600 from the first byte, and never overwritten.</summary>
public static class PrivateFile
{
    /// <summary>
    /// Writes <paramref name="content"/> to <paramref name="path"/> (mode 0600) through <c>PATH.new</c> and a move that
    /// never overwrites. False when another process created <paramref name="path"/> meanwhile: the caller uses that one.
    /// </summary>
    public static bool TryCreate(string path, string content)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        var temporary = path + ".new";
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        File.Delete(temporary);
        using (var writer = new StreamWriter(temporary, options))
        {
            writer.Write(content);
        }

        try
        {
            File.Move(temporary, path, overwrite: false);
            return true;
        }
        catch (IOException) when (File.Exists(path))
        {
            File.Delete(temporary);
            return false;
        }
    }
}
