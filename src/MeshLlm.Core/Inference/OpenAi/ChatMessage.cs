namespace MeshLlm.Inference.OpenAi;

/// <summary>One chat message with its role (system, user, assistant, developer, tool) and text content.</summary>
public sealed record ChatMessage(string Role, string Content);
