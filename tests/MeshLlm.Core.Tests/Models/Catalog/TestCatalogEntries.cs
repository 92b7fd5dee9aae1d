namespace MeshLlm.Models;

/// <summary>Hand-made catalog entries for tests that need exact sizes and quality scores (the real catalog may change).</summary>
internal static class TestCatalogEntries
{
    public static CatalogEntry Entry(string name, long bytes, double quality, bool isDraft = false) => new()
    {
        Name = name,
        Family = "test",
        ParamsB = bytes / 1e9,
        Quant = "Q8_0",
        Files = [new CatalogFile { Repo = "org/repo", Path = name + ".gguf", SizeBytes = bytes }],
        Context = 8192,
        Caps = ["chat"],
        Quality = new CatalogQuality { Score = quality, Benchmark = "test", Date = "2026-01", Source = "https://example.org" },
        IsDraft = isDraft,
        NoDraftReason = isDraft ? null : "test",
    };
}
