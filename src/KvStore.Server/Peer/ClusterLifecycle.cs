using KvStore.Cluster.Membership;
using KvStore.Cluster.Replication;
using KvStore.Server.Configuration;
using Microsoft.Extensions.Options;

namespace KvStore.Server.Peer;

/// <summary>
/// Joins the cluster once this node serves gRPC (a seed answers our push-pull, and we must be able
/// to answer theirs), starts hint delivery, and on shutdown leaves the cluster before the gRPC
/// server stops, so the others learn "left" from us instead of suspecting a crash.
/// </summary>
internal sealed partial class ClusterLifecycle(
    SwimMembership membership,
    HintedHandoff handoff,
    GrpcPeerTransport peers,
    IOptions<NodeOptions> node,
    IHostApplicationLifetime lifetime,
    ILogger<ClusterLifecycle> logger) : IHostedService
{
    /// <summary>How long a leaving node gossips its departure before it stops.</summary>
    public static readonly TimeSpan LeaveTimeout = TimeSpan.FromSeconds(3);

    private readonly CancellationTokenSource _stopping = new();
    private Task _join = Task.CompletedTask;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        membership.Changed += peers.Retain;
        lifetime.ApplicationStarted.Register(() =>
        {
            var self = node.Value.Listen;
            var seeds = node.Value.SeedList.Where(s => !string.Equals(s, self, StringComparison.OrdinalIgnoreCase)).ToList();
            _join = JoinAsync(seeds);
            handoff.Start();
        });
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
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
}
