namespace MeshLlm.Inference.LlamaCpp;

public sealed class LlamaCppBinariesTests
{
    private static string Folder(params string[] executables)
    {
        var dir = Directory.CreateTempSubdirectory("mesh-llm-bins-").FullName;
        foreach (var name in executables)
        {
            var path = Path.Combine(dir, name);
            File.WriteAllText(path, "#!/bin/sh\n");
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserExecute);
        }

        return dir;
    }

    [Fact]
    public void Find_BinDirWithBoth_ReturnsBoth()
    {
        var dir = Folder("llama-server", "rpc-server");

        var found = LlamaCppBinaries.Find(dir);

        Assert.Equal(Path.Combine(dir, "llama-server"), found?.LlamaServer);
        Assert.Equal(Path.Combine(dir, "rpc-server"), found?.RpcServer);
    }

    [Fact]
    public void Find_DebianRpcName_IsAccepted()
    {
        var dir = Folder("llama-server", "ggml-rpc-server");

        Assert.Equal(Path.Combine(dir, "ggml-rpc-server"), LlamaCppBinaries.Find(dir)?.RpcServer);
    }

    [Fact]
    public void Find_NotExecutable_IsIgnored()
    {
        var dir = Folder();
        File.WriteAllText(Path.Combine(dir, "llama-server"), "not executable");

        var found = LlamaCppBinaries.Find(dir);

        Assert.NotEqual(Path.Combine(dir, "llama-server"), found?.LlamaServer);
    }

    [Fact]
    public void SearchFolders_BinDirFirst()
    {
        var dir = Folder();

        Assert.Equal(dir, LlamaCppBinaries.SearchFolders(dir).First());
    }
}
