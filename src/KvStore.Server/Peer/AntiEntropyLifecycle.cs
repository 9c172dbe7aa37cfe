using KvStore.Cluster.AntiEntropy;

namespace KvStore.Server.Peer;

/// <summary>
/// Starts the anti-entropy timer once the node serves gRPC (its exchanges need peers to answer it,
/// and it must answer theirs), and stops it as the node starts stopping, before the web server
/// drains, so no exchange is left writing into a store about to close.
/// </summary>
internal sealed class AntiEntropyLifecycle(AntiEntropyService antiEntropy, IHostApplicationLifetime lifetime) : IHostedLifecycleService
{
    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        lifetime.ApplicationStarted.Register(antiEntropy.Start);
        return Task.CompletedTask;
    }

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public async Task StoppingAsync(CancellationToken cancellationToken) => await antiEntropy.DisposeAsync();

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
