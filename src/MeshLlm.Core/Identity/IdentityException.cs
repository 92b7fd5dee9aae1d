namespace MeshLlm.Identity;

/// <summary>The node's identity files are unusable; the message says which file and what to do.</summary>
public sealed class IdentityException(string message, Exception? inner = null) : Exception(message, inner);
