using Xunit;

namespace MeshLlm.Testing;

/// <summary>
/// Real llama.cpp binaries for tests, from <c>MESH_LLM_BIN_DIR</c> (set by <c>scripts/test</c> after
/// <c>scripts/llama-rig</c>). Without them a test skips with the reason, unless
/// <c>MESH_LLM_REQUIRE_LLAMACPP=1</c> (CI), which turns the skip into a failure.
/// </summary>
public static class LlamaCppRig
{
    public static string? BinDir =>
        System.Environment.GetEnvironmentVariable("MESH_LLM_BIN_DIR") is { Length: > 0 } dir && File.Exists(Path.Combine(dir, "llama-server"))
            ? dir
            : null;

    public static string LlamaServer => Path.Combine(Require(), "llama-server");

    public static string RpcServer => Path.Combine(Require(), "rpc-server");

    /// <summary>Returns the bin folder, or skips (fails in CI) the calling test.</summary>
    public static string Require()
    {
        if (BinDir is { } dir)
        {
            return dir;
        }

        const string reason = "llama.cpp binaries not found: run `sudo scripts/llama-rig` and set MESH_LLM_BIN_DIR to the folder it prints (scripts/test does both).";
        if (System.Environment.GetEnvironmentVariable("MESH_LLM_REQUIRE_LLAMACPP") == "1")
        {
            Assert.Fail(reason + " MESH_LLM_REQUIRE_LLAMACPP=1 makes this a failure.");
        }

        Assert.Skip(reason);
        return "";
    }

    /// <summary>Environment for a mesh-llm child that must use the rig's binaries.</summary>
    public static Dictionary<string, string?> ChildEnvironment(params (string Key, string? Value)[] extra)
    {
        var environment = new Dictionary<string, string?> { ["MESH_LLM_BIN_DIR"] = Require() };
        foreach (var (key, value) in extra)
        {
            environment[key] = value;
        }

        return environment;
    }
}
