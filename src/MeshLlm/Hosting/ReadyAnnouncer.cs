using MeshLlm.Console;
using MeshLlm.Inference;
using Microsoft.Extensions.Hosting;

namespace MeshLlm.Hosting;

/// <summary>Tells the user when a model becomes ready to answer.</summary>
internal sealed class ReadyAnnouncer(ServingState state, IConsoleUi ui) : IHostedService
{
    private readonly HashSet<string> _announced = [];

    public Task StartAsync(CancellationToken cancellationToken)
    {
        state.Changed += OnChanged;
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        state.Changed -= OnChanged;
        return Task.CompletedTask;
    }

    private void OnChanged()
    {
        foreach (var model in state.Models.Where(m => m.Status == ServingStatus.Ready))
        {
            bool first;
            lock (_announced)
            {
                first = _announced.Add(model.Name);
            }

            if (first)
            {
                ui.Info($"Ready: model '{model.Name}' ({model.Backend} engine, {model.ContextLength} tokens of context per request)");
            }
        }
    }
}
