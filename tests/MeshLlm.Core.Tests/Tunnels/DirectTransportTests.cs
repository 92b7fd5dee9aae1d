using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Nerdbank.Streams;

namespace MeshLlm.Tunnels;

/// <summary>
/// The in-process Kestrel transport that HTTP tunnels hand their channels to: a real Kestrel and a real
/// <see cref="HttpClient"/>, joined by an in-memory pipe pair where a tunnel would put its channel.
/// </summary>
public sealed class DirectTransportTests : IAsyncLifetime
{
    private static readonly TimeSpan s_patience = TimeSpan.FromSeconds(20);
    private readonly DirectTransport _direct = new();
    private readonly TaskCompletionSource _peerGone = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _requestStarted = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _requestAborted = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly List<Task> _served = [];
    private readonly List<System.IO.Pipelines.IDuplexPipe> _clientEnds = [];
    private WebApplication _app = null!;
    private int _resets;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.Services.AddRoutingCore();
        builder.WebHost.UseKestrelCore().ConfigureKestrel(o => o.Listen(DirectTransport.EndPoint));
        builder.Services.AddSingleton<IConnectionListenerFactory>(_direct);
        _app = builder.Build();
        _app.MapPost("/echo", async context =>
        {
            using var reader = new StreamReader(context.Request.Body);
            var text = await reader.ReadToEndAsync(context.RequestAborted);
            context.Response.Headers["X-Connection"] = context.Connection.Id;
            await context.Response.WriteAsync(text.ToUpperInvariant(), context.RequestAborted);
        });
        _app.MapGet("/wait", async context =>
        {
            _requestStarted.TrySetResult();
            try
            {
                await Task.Delay(Timeout.Infinite, context.RequestAborted);
            }
            catch (OperationCanceledException)
            {
                _requestAborted.TrySetResult();
            }
        });
        _app.MapGet("/abort", context =>
        {
            context.Abort();
            return Task.CompletedTask;
        });
        _app.MapGet("/last", context =>
        {
            context.Response.Headers.Connection = "close";
            return context.Response.WriteAsync("bye", context.RequestAborted);
        });
        await _app.StartAsync(Ct);
    }

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();

    /// <summary>A client whose every connection is a pipe pair handed to the transport, as a tunnel does.</summary>
    private HttpClient Client() => new(new SocketsHttpHandler
    {
        ConnectCallback = (_, _) =>
        {
            var (client, server) = FullDuplexStream.CreatePipePair();
            lock (_served)
            {
                _clientEnds.Add(client);
                // A tunnel's reset ends both directions, as the channel's disposal does.
                _served.Add(_direct.ServeAsync(server, _peerGone.Task, () =>
                {
                    Interlocked.Increment(ref _resets);
                    client.Output.Complete();
                    server.Output.Complete(new IOException("The tunnel was reset."));
                }));
            }

            return ValueTask.FromResult(client.AsStream());
        },
    })
    {
        BaseAddress = new Uri("http://engine/"),
        Timeout = s_patience,
    };

    [Fact]
    public async Task TwoRequests_OnOneHandedOverConnection_AreAnsweredInTurn()
    {
        using var http = Client();

        using var first = await http.PostAsync(new Uri("echo", UriKind.Relative), new StringContent("hello"), Ct);
        using var second = await http.PostAsync(new Uri("echo", UriKind.Relative), new StringContent("again"), Ct);

        Assert.Equal("HELLO", await first.Content.ReadAsStringAsync(Ct));
        Assert.Equal("AGAIN", await second.Content.ReadAsStringAsync(Ct));
        Assert.Equal(first.Headers.GetValues("X-Connection").Single(), second.Headers.GetValues("X-Connection").Single());
        _ = Assert.Single(_served);
    }

    [Fact]
    public async Task PeerGone_AbortsTheRequestInProgress_AndKestrelLetsTheConnectionGo()
    {
        using var http = Client();
        var request = http.GetAsync(new Uri("wait", UriKind.Relative), Ct);
        await _requestStarted.Task.WaitAsync(s_patience, Ct);

        // What a tunnel sees when the requesting node closes the channel or its connection dies: the input ends, and
        // the channel says the peer is gone. The input's end alone is not noticed while the handler writes nothing.
        await _clientEnds.Single().Output.CompleteAsync();
        await Task.Delay(200, Ct);
        Assert.False(_requestAborted.Task.IsCompleted);
        _peerGone.SetResult();

        await _requestAborted.Task.WaitAsync(s_patience, Ct);
        await _served.Single().WaitAsync(s_patience, Ct);
        await Assert.ThrowsAnyAsync<Exception>(() => request);
    }

    [Fact]
    public async Task ServerAbortingTheConnection_ResetsTheTunnel()
    {
        using var http = Client();

        await Assert.ThrowsAsync<HttpRequestException>(() => http.GetAsync(new Uri("abort", UriKind.Relative), Ct));

        Assert.Equal(1, Volatile.Read(ref _resets));
    }

    [Fact]
    public async Task ServerClosingAfterItsAnswer_EndsTheConnectionCleanly()
    {
        using var http = Client();

        Assert.Equal("bye", await http.GetStringAsync(new Uri("last", UriKind.Relative), Ct));

        await _served.Single().WaitAsync(s_patience, Ct);
        Assert.Equal(0, Volatile.Read(ref _resets));
    }

    [Fact]
    public async Task AfterTheServerStops_AHandOverIsRefused()
    {
        await _app.StopAsync(Ct);
        var (_, server) = FullDuplexStream.CreatePipePair();

        var refused = await Assert.ThrowsAsync<InvalidOperationException>(() => _direct.ServeAsync(server, _peerGone.Task, () => { }));

        Assert.Contains("stopped", refused.Message, StringComparison.Ordinal);
    }
}
