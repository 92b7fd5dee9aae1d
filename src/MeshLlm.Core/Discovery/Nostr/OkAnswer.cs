namespace MeshLlm.Discovery.Nostr;

/// <summary>A relay's answer to a published event, or the loss of the connection before it.</summary>
internal readonly record struct OkAnswer(bool ConnectionLost, bool Accepted, string Message);
