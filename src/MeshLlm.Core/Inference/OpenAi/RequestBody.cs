using Microsoft.AspNetCore.Http;

namespace MeshLlm.Inference.OpenAi;

/// <summary>Reads a whole request body within Kestrel's configured size limit.</summary>
public static class RequestBody
{
    /// <summary>Reads the body; a body over the limit becomes a 413 <see cref="OpenAiException"/>.</summary>
    public static async Task<byte[]> ReadAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        try
        {
            using var buffer = new MemoryStream(request.ContentLength is > 0 and < 1 << 20 ? (int)request.ContentLength : 4096);
            await request.Body.CopyToAsync(buffer, cancellationToken);
            return buffer.ToArray();
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            throw new OpenAiException(new OpenAiError(StatusCodes.Status413PayloadTooLarge,
                "The request body is larger than this server accepts (Routing:MaxRequestBodyBytes).",
                "invalid_request_error", "request_too_large"));
        }
    }
}
