using KvStore.Cluster.AntiEntropy;
using KvStore.Cluster.Membership;
using KvStore.Cluster.Routing;
using KvStore.Cluster.Tombstones;
using KvStore.Storage;
using Microsoft.Extensions.Options;

namespace KvStore.Server.Peer;

/// <summary>
/// Starts the tombstone collector once the node serves gRPC, and marks the data directory alive at
/// start and every Tombstones:AliveMarkInterval while the node runs, whatever it sees of the others:
/// while its peers are down nobody can collect without it, and a survivor that stopped marking
/// would start empty after its next restart. A node that comes back empty after a long absence
/// first decides about the data it set aside (<see cref="AwayRestore"/>) and opens its read gate
/// once that data is back, or else once anti-entropy has filled it; its collector starts only then,
/// as the set-aside data could still bring an older copy of a key back. All of it stops as the node starts stopping, before the store closes.
/// </summary>
internal sealed partial class TombstoneLifecycle(
    TombstoneCollector collector,
    RocksObjectStore store,
    IMembership membership,
    Router router,
    AntiEntropyService antiEntropy,
    ResyncGate gate,
    AwayRestore away,
    IOptions<TombstoneOptions> options,
    IHostApplicationLifetime lifetime,
    TimeProvider time,
    ILogger<TombstoneLifecycle> logger) : IHostedLifecycleService
{
    private readonly CancellationTokenSource _stop = new();
    private Task _marking = Task.CompletedTask;
    private Task _resync = Task.CompletedTask;

    /// <summary>How often a node that resyncs checks whether anti-entropy has filled it.</summary>
    private static readonly TimeSpan ResyncCheckInterval = TimeSpan.FromSeconds(1);

    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (!options.Value.Enabled)
        {
            return Task.CompletedTask;
        }

        // Not yet joined, this node sees only itself: the ring size it saw before stays recorded.
        store.MarkAlive(time.GetUtcNow(), ringMembers: null);
        lifetime.ApplicationStarted.Register(() =>
        {
            _marking = MarkAliveAsync(_stop.Token);
            if (gate.IsResyncing)
            {
                // A resyncing node collects nothing: its set-aside data may still bring keys back.
                _resync = ResyncAsync(_stop.Token);
            }
            else
            {
                collector.Start();
            }
        });
        return Task.CompletedTask;
    }

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public async Task StoppingAsync(CancellationToken cancellationToken)
    {
        await _stop.CancelAsync();
        try
        {
            await _marking;
            await _resync;
        }
        catch (OperationCanceledException)
        {
            // Stopping.
        }

        await collector.DisposeAsync();
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    private async Task MarkAliveAsync(CancellationToken stop)
    {
        using var timer = new PeriodicTimer(options.Value.AliveMarkInterval, time);
        while (await timer.WaitForNextTickAsync(stop))
        {
            try
            {
                store.MarkAlive(time.GetUtcNow(), membership.Current.Members.Count(RoutingTable.OnRing));
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                LogMarkFailed(logger, e);
            }
        }
    }

    /// <summary>
    /// Takes the data set aside at start back if no peer collected since (<see cref="AwayRestore"/>)
    /// and opens the read gate then; otherwise waits for anti-entropy to fill this node. The node
    /// serves peers meanwhile, so nodes that all restart this way answer each other.
    /// </summary>
    private async Task ResyncAsync(CancellationToken stop)
    {
        if (away.Status.Phase == AwayPhase.Deciding)
        {
            AwayPhase phase;
            try
            {
                phase = await away.RunAsync(stop);
                store.ClearAsidePending();
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // Still pending: the next start decides again; merging what was merged already changes nothing.
                LogRestoreFailed(logger, e);
                phase = AwayPhase.KeptAside;
            }

            if (phase == AwayPhase.Restored)
            {
                gate.Finish();
                LogRestored(logger);
                collector.Start();
                return;
            }
        }

        await AwaitFilledAsync(stop);
        collector.Start();
    }

    /// <summary>Opens the read gate once anti-entropy has filled this node from every alive peer it shares ranges with.</summary>
    private async Task AwaitFilledAsync(CancellationToken stop)
    {
        if (!antiEntropy.Options.Enabled)
        {
            LogNoAntiEntropy(logger);
            gate.Finish();
            return;
        }

        using var timer = new PeriodicTimer(ResyncCheckInterval, time);
        while (await timer.WaitForNextTickAsync(stop))
        {
            if (ResyncGate.Filled(router.Current, antiEntropy.LastExchanges))
            {
                gate.Finish();
                LogFilled(logger);
                return;
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "The data set aside after a long absence is back: it answers reads again")]
    private static partial void LogRestored(ILogger logger);

    [LoggerMessage(Level = LogLevel.Information, Message = "Anti-entropy has filled this node from every peer it shares ranges with: it answers reads again")]
    private static partial void LogFilled(ILogger logger);

    [LoggerMessage(Level = LogLevel.Warning, Message = "This node starts empty after a long absence, and anti-entropy is off: it answers reads at once, with only what hints and writes bring")]
    private static partial void LogNoAntiEntropy(ILogger logger);

    [LoggerMessage(Level = LogLevel.Error, Message = "Could not take back the data set aside after a long absence; anti-entropy fills this node, and the next start tries again")]
    private static partial void LogRestoreFailed(ILogger logger, Exception error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not mark the data directory alive")]
    private static partial void LogMarkFailed(ILogger logger, Exception error);
}
