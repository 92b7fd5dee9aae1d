namespace MeshLlm.Discovery.Nostr;

/// <summary>What each relay made of one published event.</summary>
public sealed record PublishResult(IReadOnlyList<Uri> Accepted, IReadOnlyList<RelayFailure> Failures)
{
    public bool AnyAccepted => Accepted.Count > 0;
}

/// <summary>Why one relay did not accept an event (or did not answer a query): the kind and the relay's or the socket's words.</summary>
public sealed record RelayFailure(Uri Relay, RelayFailureKind Kind, string Message);

public enum RelayFailureKind
{
    /// <summary>Could not connect, or the connection broke before the answer.</summary>
    Down,

    /// <summary>Connected, but no answer within the caller's timeout.</summary>
    TimedOut,

    /// <summary>The relay answered <c>["OK", id, false, message]</c>.</summary>
    Rejected,
}
