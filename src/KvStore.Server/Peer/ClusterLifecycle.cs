using KvStore.Cluster.Handoff;
using KvStore.Cluster.Membership;
using KvStore.Cluster.Replication;
using KvStore.Server.Configuration;
using Microsoft.Extensions.Options;

namespace KvStore.Server.Peer;

/// <summary>
/// Joins the cluster once this node serves gRPC (a seed answers our push-pull, and we must be able
/// to answer theirs) and starts hint delivery. On shutdown it leaves the cluster before the web
/// server stops (the others learn "left" from us instead of suspecting a crash, and route around
/// us while our in-flight calls drain), hands its ranges to the nodes that replace it (within
/// Handoff:LeaveTimeout), then waits, within a bound, for replication still running after its
/// clients were answered.
/// </summary>
internal sealed partial class ClusterLifecycle(
    SwimMembership membership,
    HintedHandoff handoff,
    HandoffService transfers,
    IOptions<HandoffOptions> transferOptions,
    GrpcPeerTransport peers,
    PeerStreamsClosing closing,
    Coordinator coordinator,
    IOptions<NodeOptions> node,
    IHostApplicationLifetime lifetime,
    TimeProvider time,
    ILogger<ClusterLifecycle> logger) : IHostedLifecycleService
{
    /// <summary>How long a leaving node gossips its departure before it stops.</summary>
    public static readonly TimeSpan LeaveTimeout = TimeSpan.FromSeconds(3);

    /// <summary>How long shutdown waits for replication that outlived its client call.</summary>
    public static readonly TimeSpan ReplicationDrainTimeout = TimeSpan.FromSeconds(5);

    private readonly CancellationTokenSource _stopping = new();
    private Task _join = Task.CompletedTask;

    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        membership.Changed += peers.Retain;
        lifetime.ApplicationStarted.Register(() =>
        {
            var self = node.Value.Listen;
            var seeds = node.Value.SeedList.Where(s => !string.Equals(s, self, StringComparison.OrdinalIgnoreCase)).ToList();
            _join = JoinAsync(seeds);
            handoff.Start();
            transfers.Start();
        });
        return Task.CompletedTask;
    }

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Runs before any hosted service stops, the web server included.</summary>
    public async Task StoppingAsync(CancellationToken cancellationToken)
    {
        await _stopping.CancelAsync();
        try
        {
            await _join;
        }
        catch (OperationCanceledException)
        {
            // Stopped while joining.
        }

        var told = await membership.LeaveAsync(LeaveTimeout);
        LogLeft(logger, told);

        // Leaving changed the ring: hand this node's ranges to the nodes that replace it while it
        // still serves (a node with nothing to hand over returns at once).
        var remaining = await transfers.DrainAsync(transferOptions.Value.LeaveTimeout, cancellationToken);
        if (remaining.Count > 0)
        {
            LogHandoffUnfinished(logger, remaining.Count, string.Join(",", remaining.Select(t => t.Target)), transferOptions.Value.LeaveTimeout);
        }

        // The others route around this node now; end their streams into it, or the web server
        // would wait for them until its shutdown timeout.
        closing.Close();
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Runs after the web server stopped: no new requests, so the pending count only falls.</summary>
    public async Task StoppedAsync(CancellationToken cancellationToken)
    {
        var started = time.GetTimestamp();
        while (coordinator.Pending > 0 && time.GetElapsedTime(started) < ReplicationDrainTimeout)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(20), time, CancellationToken.None);
        }

        if (coordinator.Pending > 0)
        {
            LogReplicationAbandoned(logger, coordinator.Pending);
        }

        await transfers.DisposeAsync();
        await handoff.DisposeAsync();
        await membership.DisposeAsync();
        membership.Changed -= peers.Retain;
        _stopping.Dispose();
    }

    private async Task JoinAsync(IReadOnlyList<string> seeds)
    {
        var joined = await membership.StartAsync(seeds, _stopping.Token);
        if (seeds.Count == 0)
        {
            LogAlone(logger);
        }
        else if (joined)
        {
            LogJoined(logger, string.Join(",", seeds), membership.Current.Members.Length);
        }
        else
        {
            LogSeedsUnreachable(logger, string.Join(",", seeds));
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "No seeds configured: this node starts a cluster of its own")]
    private static partial void LogAlone(ILogger logger);

    [LoggerMessage(Level = LogLevel.Information, Message = "Joined the cluster through seeds [{Seeds}]; {Members} members known")]
    private static partial void LogJoined(ILogger logger, string seeds, int members);

    [LoggerMessage(Level = LogLevel.Warning, Message = "No seed of [{Seeds}] answered yet; serving alone and retrying in the background")]
    private static partial void LogSeedsUnreachable(ILogger logger, string seeds);

    [LoggerMessage(Level = LogLevel.Information, Message = "Left the cluster (departure gossiped: {Told})")]
    private static partial void LogLeft(ILogger logger, bool told);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Stopping with {Count} range transfers unfinished (to {Targets}) after {Timeout}; anti-entropy among the remaining replicas restores what they lack")]
    private static partial void LogHandoffUnfinished(ILogger logger, int count, string targets, TimeSpan timeout);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Stopping with {Pending} requests still replicating; their writes are stored on this node, but may be missing on other replicas")]
    private static partial void LogReplicationAbandoned(ILogger logger, int pending);
}
