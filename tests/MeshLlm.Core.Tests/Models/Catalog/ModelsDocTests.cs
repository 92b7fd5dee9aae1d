namespace MeshLlm.Models;

/// <summary>docs/MODELS.md's tiers table is generated: this fails when it drifts from <see cref="ModelTiers.RenderTable"/>.
/// Run the tests with <c>MESH_LLM_UPDATE_DOCS=1</c> to rewrite the section.</summary>
public sealed class ModelsDocTests
{
    [Fact]
    public void ModelsMd_TiersTable_IsCurrent()
    {
        var path = DocPath();
        var text = File.ReadAllText(path).ReplaceLineEndings("\n");
        var begin = text.IndexOf(ModelTiers.TableBegin, StringComparison.Ordinal);
        var end = text.IndexOf(ModelTiers.TableEnd, StringComparison.Ordinal);
        Assert.True(begin >= 0 && end > begin, $"{path} must contain the markers '{ModelTiers.TableBegin}' and '{ModelTiers.TableEnd}'");

        var start = begin + ModelTiers.TableBegin.Length + 1;
        var expected = ModelTiers.RenderTable(ModelCatalog.LoadEmbedded());
        if (Environment.GetEnvironmentVariable("MESH_LLM_UPDATE_DOCS") == "1")
        {
            File.WriteAllText(path, text[..start] + expected + text[end..]);
            return;
        }

        Assert.Equal(expected, text[start..end]);
    }

    private static string DocPath()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "docs", "MODELS.md");
            if (File.Exists(candidate) && File.Exists(Path.Combine(dir.FullName, "Directory.Build.props")))
            {
                return candidate;
            }
        }

        throw new FileNotFoundException($"docs/MODELS.md was not found above {AppContext.BaseDirectory}");
    }
}
