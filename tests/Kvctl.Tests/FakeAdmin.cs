using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace KvStore.Kvctl.Tests;

/// <summary>
/// An admin port that serves canned JSON on 127.0.0.1, so cluster commands can be tested
/// against exact server answers without a cluster. Answers are keyed by path and query and can
/// be set after start, once the ports of every fake are known.
/// </summary>
internal sealed class FakeAdmin : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentDictionary<string, (int Status, string Json)> _answers = new();

    private FakeAdmin(WebApplication app) => _app = app;

    /// <summary>The address as HOST:PORT, the form kvctl and the routing table use.</summary>
    public string Address { get; private set; } = "";

    /// <summary>Every path and query asked for, in order.</summary>
    public ConcurrentQueue<string> Requests { get; } = new();

    public static async Task<FakeAdmin> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        var fake = new FakeAdmin(app);
        app.Run(fake.AnswerAsync);
        await app.StartAsync(TestContext.Current.CancellationToken);
        var url = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.Single();
        fake.Address = new Uri(url).Authority;
        return fake;
    }

    /// <summary>Answers GET <paramref name="pathAndQuery"/> with <paramref name="json"/> and <paramref name="status"/>.</summary>
    public void Answer(string pathAndQuery, string json, int status = 200) => _answers[pathAndQuery] = (status, json);

    private async Task AnswerAsync(HttpContext context)
    {
        var pathAndQuery = context.Request.Path + context.Request.QueryString;
        Requests.Enqueue(pathAndQuery);
        if (!_answers.TryGetValue(pathAndQuery, out var answer))
        {
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            return;
        }

        context.Response.StatusCode = answer.Status;
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(answer.Json);
    }

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();
}
