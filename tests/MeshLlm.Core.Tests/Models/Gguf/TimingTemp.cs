using System.Diagnostics;
namespace MeshLlm.Models.Gguf;
public sealed class TimingTemp(ITestOutputHelper output)
{
    [Fact]
    public void Measure()
    {
        foreach (var (name, o) in new[] { ("tiny", TestModelOptions.Tiny), ("tiny", TestModelOptions.Tiny), ("bench-q8", TestModelOptions.Bench), ("bench-f16", TestModelOptions.Bench with { TensorType = GgmlType.F16 }) })
        {
            string path = $"/tmp/gguf-{name}.gguf";
            var sw = Stopwatch.StartNew();
            TestModelGenerator.Write(path, o, TestContext.Current.CancellationToken);
            var t1 = sw.Elapsed;
            sw.Restart();
            var f = GgufReader.Read(path, TestContext.Current.CancellationToken);
            output.WriteLine($"{name}: write {t1.TotalMilliseconds:F0} ms, size {new FileInfo(path).Length} bytes, read {sw.Elapsed.TotalMilliseconds:F1} ms, tensors {f.Tensors.Count}");
        }
    }
}
