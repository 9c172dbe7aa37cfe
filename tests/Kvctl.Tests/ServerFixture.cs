using KvStore.Testing;

namespace KvStore.Kvctl.Tests;

/// <summary>One real server per test class.</summary>
public sealed class ServerFixture : IAsyncLifetime
{
    private ServerProcess? _server;

    /// <summary>The server's address in the host:port form users type.</summary>
    public string Endpoint => $"127.0.0.1:{(_server ?? throw new InvalidOperationException("not started")).GrpcPort}";

    public async ValueTask InitializeAsync() =>
        _server = await ServerProcess.StartAsync(cancellationToken: TestContext.Current.CancellationToken);

    public async ValueTask DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }

    public static string NewKey(string prefix) => $"{prefix}-{Guid.NewGuid():N}";
}
