using KvStore.Testing;

namespace KvStore.Client.Tests;

/// <summary>One real server per test class: starting a process costs seconds, a key costs nothing.</summary>
public sealed class ServerFixture : IAsyncLifetime
{
    private ServerProcess? _server;
    private KvClient? _client;

    public ServerProcess Server => _server ?? throw new InvalidOperationException("not started");

    /// <summary>A client shared by the tests of a class, as applications share one.</summary>
    public KvClient Client => _client ?? throw new InvalidOperationException("not started");

    public async ValueTask InitializeAsync()
    {
        _server = await ServerProcess.StartAsync(cancellationToken: TestContext.Current.CancellationToken);
        _client = new KvClient(_server.GrpcEndpoint);
    }

    public async ValueTask DisposeAsync()
    {
        if (_client is not null)
        {
            await _client.DisposeAsync();
        }

        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }

    /// <summary>A key no other test uses, so tests never see each other's writes.</summary>
    public static string NewKey(string prefix) => $"{prefix}-{Guid.NewGuid():N}";
}
