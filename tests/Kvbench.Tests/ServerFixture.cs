using KvStore.Testing;

namespace KvStore.Kvbench.Tests;

/// <summary>One real server for the end-to-end tests.</summary>
public sealed class ServerFixture : IAsyncLifetime
{
    private ServerProcess? _server;

    /// <summary>The server's address in the host:port form users type.</summary>
    public string Endpoint => $"127.0.0.1:{Server.GrpcPort}";

    public ServerProcess Server => _server ?? throw new InvalidOperationException("not started");

    public async ValueTask InitializeAsync() =>
        _server = await ServerProcess.StartAsync(cancellationToken: TestContext.Current.CancellationToken);

    public async ValueTask DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }
}
