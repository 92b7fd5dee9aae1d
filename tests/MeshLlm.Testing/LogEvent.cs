using System.Text.Json;

namespace MeshLlm.Testing;

/// <summary>One JSON log line of a <c>mesh-llm --log-format json</c> process.</summary>
public sealed record LogEvent(int EventId, string Level, string Category, string Message, JsonElement State)
{
    public string? Get(string name) =>
        State.ValueKind == JsonValueKind.Object && State.TryGetProperty(name, out var value) ? value.ToString() : null;

    public static LogEvent? TryParse(string line)
    {
        if (!line.StartsWith('{'))
        {
            return null;
        }

        try
        {
            using var document = JsonDocument.Parse(line);
            var root = document.RootElement;
            return new LogEvent(
                root.GetProperty("EventId").GetInt32(),
                root.GetProperty("LogLevel").GetString() ?? "",
                root.GetProperty("Category").GetString() ?? "",
                root.GetProperty("Message").GetString() ?? "",
                root.TryGetProperty("State", out var state) ? state.Clone() : default);
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
