namespace MeshLlm.Transport;

/// <summary>Mux frame types; unknown types end the connection.</summary>
internal enum MuxFrame : byte
{
    /// <summary>Opens a channel numbered by the sender (dialer odd, acceptor even, increasing).</summary>
    Open = 1,

    /// <summary>The receiver took the channel.</summary>
    Accept = 2,

    /// <summary>Bytes for the channel, within the window the receiver has granted.</summary>
    Data = 3,

    /// <summary>The sender will send no more data on the channel (half-close).</summary>
    Fin = 4,

    /// <summary>The sender dropped the channel: both directions end, nothing more is read.</summary>
    Reset = 5,

    /// <summary>The receiver has consumed <c>length</c> more bytes: the sender may send that many more.</summary>
    Window = 6,
}
