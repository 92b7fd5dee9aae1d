using System.Text.Json;
using MeshLlm.Inference;
using MeshLlm.Inference.OpenAi;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace MeshLlm.Routing;

/// <summary>Maps the public API: what the proxy answers itself and what it forwards.</summary>
public static class ApiEndpoints
{
    public static IEndpointRouteBuilder MapMeshApi(this IEndpointRouteBuilder endpoints)
    {
        var proxy = endpoints.ServiceProvider.GetRequiredService<ApiProxy>();
        var state = endpoints.ServiceProvider.GetRequiredService<ServingState>();
        endpoints.MapPost("/v1/chat/completions", proxy.ForwardAsync);
        endpoints.MapPost("/v1/completions", proxy.ForwardAsync);
        endpoints.MapGet("/v1/models", context => WriteModelsAsync(context, state, proxy));
        endpoints.MapGet("/health", context => WriteHealthAsync(context, state));
        endpoints.MapPost("/mesh/drop", context => DropAsync(context, endpoints.ServiceProvider.GetService<BackendService>()));
        endpoints.MapFallback(context => OpenAiError.NotFound(context.Request.Path).WriteAsync(context.Response, context.RequestAborted));
        return endpoints;
    }

    /// <summary>Every model ready somewhere in the mesh, with how many nodes serve it; this node's details where it serves one.</summary>
    private static Task WriteModelsAsync(HttpContext context, ServingState state, ApiProxy proxy)
    {
        context.Response.Headers.AccessControlAllowOrigin = "*";
        var data = proxy.Hosts()
            .Where(h => h.Status == ServingStatus.Ready)
            .GroupBy(h => h.Model, StringComparer.Ordinal)
            .OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g =>
            {
                var local = state.Models.FirstOrDefault(m => m.Name == g.Key && m.Status == ServingStatus.Ready);
                return new
                {
                    id = g.Key,
                    @object = "model",
                    created = 0,
                    owned_by = "mesh-llm",
                    mesh = new { nodes = g.Count(), context_length = local?.ContextLength, size_bytes = local?.SizeBytes, backend = local?.Backend },
                };
            });
        return context.Response.WriteAsJsonAsync(new { @object = "list", data }, context.RequestAborted);
    }

    /// <summary><c>POST /mesh/drop {"model": NAME}</c>: this node stops serving NAME and leaves it to other nodes.</summary>
    private static async Task DropAsync(HttpContext context, BackendService? backend)
    {
        string? model = null;
        try
        {
            using var body = await JsonDocument.ParseAsync(context.Request.Body, default, context.RequestAborted);
            if (body.RootElement.ValueKind == JsonValueKind.Object && body.RootElement.TryGetProperty("model", out var value) && value.ValueKind == JsonValueKind.String)
            {
                model = value.GetString();
            }
        }
        catch (JsonException)
        {
        }

        if (string.IsNullOrEmpty(model))
        {
            await OpenAiError.InvalidRequest("Send {\"model\": NAME}: the model this node should stop serving.", "model").WriteAsync(context.Response, context.RequestAborted);
            return;
        }

        if (backend?.Drop(model) != true)
        {
            await new OpenAiError(StatusCodes.Status404NotFound, $"This node does not serve '{model}'; nothing was dropped.", "invalid_request_error", "model_not_served", "model")
                .WriteAsync(context.Response, context.RequestAborted);
            return;
        }

        await context.Response.WriteAsJsonAsync(new { dropped = model }, context.RequestAborted);
    }

    private static Task WriteHealthAsync(HttpContext context, ServingState state)
    {
        var models = state.Models;
        // A split's partner is healthy while it lends its rpc-server: it has no model server of its own.
        var ready = models.Length > 0 && models.All(m => m.Status is ServingStatus.Ready or ServingStatus.Lending);
        context.Response.StatusCode = ready ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable;
        return context.Response.WriteAsJsonAsync(new
        {
            status = ready ? "ok" : models.Any(m => m.Status == ServingStatus.Failed) ? "failed" : "loading",
            models = models.Select(m => new { name = m.Name, status = m.Status.ToString().ToLowerInvariant() }),
        }, context.RequestAborted);
    }
}
