using System.Net;
using MeshLlm.Inference.OpenAi;

namespace MeshLlm.Routing;

/// <summary>
/// Makes every model server's answers look the same to clients: an SSE answer whose upstream breaks gets a
/// final <c>data: {"error":...}</c> event instead of a truncated stream or an aborted connection, and error
/// bodies in llama-server's dialect (numeric <c>code</c>) are rewritten to OpenAI's (string <c>code</c>).
/// </summary>
/// <remarks>
/// YARP aborts the client connection when the upstream body fails after the response started. Wrapping the
/// upstream body here, below YARP, lets the error become data that YARP forwards and then ends cleanly.
/// Non-streamed answers are left alone: a broken JSON body is still reported by YARP as a failed forward.
/// </remarks>
internal sealed class StreamErrorHandler(HttpMessageHandler inner) : DelegatingHandler(inner)
{
    /// <summary>Called (with the reason) when a streamed answer breaks mid-way; set per request by the proxy.</summary>
    public static readonly HttpRequestOptionsKey<Action<string>> OnBroken = new("mesh-llm.on-broken");

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var response = await base.SendAsync(request, cancellationToken);
        if (!response.IsSuccessStatusCode && response.Content.Headers.ContentType?.MediaType == "application/json")
        {
            await ErrorDialect.NormalizeAsync(response, cancellationToken);
        }
        else if (response.Content.Headers.ContentType?.MediaType == "text/event-stream")
        {
            var original = response.Content;
            request.Options.TryGetValue(OnBroken, out var onBroken);
            var content = new StreamContent(new GuardedStream(await original.ReadAsStreamAsync(cancellationToken), onBroken));
            foreach (var header in original.Headers)
            {
                content.Headers.TryAddWithoutValidation(header.Key, header.Value);
            }

            response.Content = content;
        }

        return response;
    }

    /// <summary>Reads the upstream body; a read failure becomes one SSE error event followed by end of stream.</summary>
    private sealed class GuardedStream(Stream inner, Action<string>? onBroken) : Stream
    {
        private byte[]? _error;
        private int _errorOffset;

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (_error is null)
            {
                try
                {
                    return await inner.ReadAsync(buffer, cancellationToken);
                }
                catch (Exception e) when (e is IOException or HttpRequestException && !cancellationToken.IsCancellationRequested)
                {
                    _error = ErrorEvent();
                    onBroken?.Invoke(e.Message);
                }
            }

            return ReadError(buffer.Span);
        }

        public override int Read(byte[] buffer, int offset, int count)
        {
            if (_error is null)
            {
                try
                {
                    return inner.Read(buffer, offset, count);
                }
                catch (Exception e) when (e is IOException or HttpRequestException)
                {
                    _error = ErrorEvent();
                    onBroken?.Invoke(e.Message);
                }
            }

            return ReadError(buffer.AsSpan(offset, count));
        }

        private int ReadError(Span<byte> buffer)
        {
            var count = Math.Min(buffer.Length, _error!.Length - _errorOffset);
            _error.AsSpan(_errorOffset, count).CopyTo(buffer);
            _errorOffset += count;
            return count;
        }

        private static byte[] ErrorEvent()
        {
            var error = new OpenAiError((int)HttpStatusCode.BadGateway,
                "The model server stopped in the middle of this answer; retry the request.", "server_error", "upstream_failed");
            return [.. "\n\ndata: "u8, .. error.ToJsonBytes(), .. "\n\n"u8];
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                inner.Dispose();
            }

            base.Dispose(disposing);
        }

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
