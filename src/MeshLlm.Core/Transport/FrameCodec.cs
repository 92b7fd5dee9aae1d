using System.Buffers.Binary;
using System.Text.Json;

namespace MeshLlm.Transport;

/// <summary>Outcome of reading one control frame.</summary>
public enum FrameReadStatus
{
    /// <summary>A whole frame holding one JSON value.</summary>
    Ok,

    /// <summary>The stream ended cleanly between frames.</summary>
    EndOfStream,

    /// <summary>The stream ended inside a frame.</summary>
    Truncated,

    /// <summary>The length prefix exceeds the limit; nothing was allocated for it.</summary>
    TooLarge,

    /// <summary>The payload is not a single well-formed UTF-8 JSON value.</summary>
    Malformed,
}

/// <summary>
/// Control frames on mesh channels: a 4-byte big-endian length, then that many bytes of UTF-8 JSON, at most
/// <see cref="MaxFrameBytes"/>. A reader never allocates more than the limit, whatever the peer sends; any
/// status but <see cref="FrameReadStatus.Ok"/> closes the channel and counts against the peer (docs/protocol.md).
/// </summary>
public static class FrameCodec
{
    /// <summary>Largest payload accepted: 1 MiB.</summary>
    public const int MaxFrameBytes = 1 << 20;

    public static async ValueTask WriteAsync(Stream stream, ReadOnlyMemory<byte> json, CancellationToken cancellationToken)
    {
        if (json.Length > MaxFrameBytes)
        {
            throw new ArgumentException($"A frame holds at most {MaxFrameBytes} bytes; this one has {json.Length}.", nameof(json));
        }

        var frame = new byte[4 + json.Length];
        BinaryPrimitives.WriteInt32BigEndian(frame, json.Length);
        json.CopyTo(frame.AsMemory(4));
        await stream.WriteAsync(frame, cancellationToken);
    }

    /// <summary>Reads one frame; the payload is set only when the status is <see cref="FrameReadStatus.Ok"/>.</summary>
    public static async ValueTask<(FrameReadStatus Status, byte[]? Payload)> ReadAsync(Stream stream, int maxBytes, CancellationToken cancellationToken)
    {
        var header = new byte[4];
        var read = await stream.ReadAtLeastAsync(header, 4, throwOnEndOfStream: false, cancellationToken);
        if (read == 0)
        {
            return (FrameReadStatus.EndOfStream, null);
        }

        if (read < 4)
        {
            return (FrameReadStatus.Truncated, null);
        }

        var length = BinaryPrimitives.ReadUInt32BigEndian(header);
        if (length > (uint)Math.Min(maxBytes, MaxFrameBytes))
        {
            return (FrameReadStatus.TooLarge, null);
        }

        var payload = new byte[length];
        if (await stream.ReadAtLeastAsync(payload, payload.Length, throwOnEndOfStream: false, cancellationToken) < payload.Length)
        {
            return (FrameReadStatus.Truncated, null);
        }

        return IsJson(payload) ? (FrameReadStatus.Ok, payload) : (FrameReadStatus.Malformed, null);
    }

    private static bool IsJson(byte[] payload)
    {
        try
        {
            var reader = new Utf8JsonReader(payload, new JsonReaderOptions { MaxDepth = 32 });
            reader.Read();
            reader.Skip();
            return !reader.Read() && System.Text.Unicode.Utf8.IsValid(payload);
        }
        catch (JsonException)
        {
            return false;
        }
    }
}
