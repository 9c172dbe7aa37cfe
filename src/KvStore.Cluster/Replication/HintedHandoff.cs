using KvStore.Cluster.Membership;
using KvStore.Cluster.Routing;
using KvStore.Core.Crdt;
using KvStore.Core.Membership;
using KvStore.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace KvStore.Cluster.Replication;

/// <summary>
/// Delivers held hints: on a timer, for every target that membership says is alive again, sends
/// its hints (a bounded batch per round) and deletes each one the target acknowledged, unless it
/// was merged with a newer write meanwhile (Dynamo's hinted handoff). Hints for a member that left
/// (or is gone from the view) can never be delivered: given the router and the local replica, they
/// go to the key's current replicas instead, so none is left behind to hold the write alone or to
/// keep the tombstone collector from ever collecting the key.
/// </summary>
public sealed partial class HintedHandoff(
    IHintStore hints,
    IMembership membership,
    IPeerTransport peers,
    IOptions<ReplicationOptions> options,
    ClusterCounters counters,
    TimeProvider time,
    ILogger<HintedHandoff> logger,
    Router? router = null,
    LocalReplica? replica = null) : IAsyncDisposable
{
    private readonly ReplicationOptions _options = options.Value;
    private readonly BackgroundLoop _loop = new();

    // Where the next round resumes per target; one entry per target with hints, which the hint store bounds.
    private readonly Dictionary<string, byte[]> _cursors = new(StringComparer.Ordinal);

    public void Start() => _loop.StartPeriodic(_options.HintReplayInterval, time, ReplayOnceAsync, e => LogReplayFailed(logger, e));

    public ValueTask DisposeAsync() => _loop.DisposeAsync();

    /// <summary>
    /// One round: up to a batch of hints to each target that is alive. Returns the number
    /// delivered. Rounds must not overlap (the timer loop runs one at a time).
    /// </summary>
    public async Task<int> ReplayOnceAsync(CancellationToken cancellationToken)
    {
        var view = membership.Current;
        var counts = hints.HintCounts;
        foreach (var gone in _cursors.Keys.Where(t => !counts.ContainsKey(t)).ToList())
        {
            _cursors.Remove(gone);
        }

        var delivered = 0;
        foreach (var (targetId, _) in counts)
        {
            if (view.Find(targetId) is null or { State: MemberState.Left } && targetId != view.SelfId && router is not null && replica is not null)
            {
                try
                {
                    delivered += await RedirectAsync(targetId, router, replica, cancellationToken);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    LogReplayFailed(logger, e);
                }

                continue;
            }

            if (view.Find(targetId) is not { State: MemberState.Alive } target || target.Id == view.SelfId)
            {
                continue;
            }

            try
            {
                delivered += await ReplayToAsync(target, cancellationToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // One target's trouble (its hint store entry, say) must not stop delivery to the others.
                LogReplayFailed(logger, e);
            }
        }

        return delivered;
    }

    private async Task<int> ReplayToAsync(Member target, CancellationToken cancellationToken)
    {
        // Each round resumes after the last hint the previous round offered, so a hint that keeps
        // failing (too large for the target, say) cannot hold back the ones after it.
        var after = _cursors.GetValueOrDefault(target.Id);
        var batch = hints.ReadHints(target.Id, _options.HintReplayBatch, after);
        if (batch.Count == 0 && after is not null)
        {
            batch = hints.ReadHints(target.Id, _options.HintReplayBatch);
        }

        var delivered = 0;
        foreach (var hint in batch)
        {
            _cursors[target.Id] = hint.Key;
            try
            {
                using var deadline = new PeerDeadline(_options.PeerTimeout, time, cancellationToken);
                await peers.MergeAsync(target, hint.Key, hint.Object, null, deadline.Token);
            }
            catch (PeerUnreachableException e) when (!cancellationToken.IsCancellationRequested)
            {
                // The target went away again, or did not take this one; the rest waits for the next round.
                counters.PeerFailure();
                LogTargetUnreachable(logger, target.Id, e.Message);
                break;
            }
            catch (MutationRejectedException e) when (e.Reason == RejectReason.WrongType)
            {
                // The target holds the key as the other type; resending would be refused forever.
                LogHintRefused(logger, target.Id, e.Message);
                await hints.DeleteHintAsync(target.Id, hint.Key, hint.Object, cancellationToken);
                continue;
            }
            catch (Exception e) when (e is MutationRejectedException or RequestRejectedException)
            {
                // Refused for a bound: kept, and offered again after the others.
                LogHintRefused(logger, target.Id, e.Message);
                continue;
            }

            if (await hints.DeleteHintAsync(target.Id, hint.Key, hint.Object, cancellationToken))
            {
                counters.HintDelivered();
                delivered++;
            }
        }

        if (delivered > 0)
        {
            LogDelivered(logger, delivered, target.Id);
        }

        return delivered;
    }

    /// <summary>
    /// Hints for a member that left: each goes to every replica of its key on the current ring
    /// (merged here when this node is one) and is deleted once all of them took it; a replica that
    /// is not alive or does not answer keeps it for a later round.
    /// </summary>
    private async Task<int> RedirectAsync(string gone, Router router, LocalReplica replica, CancellationToken cancellationToken)
    {
        var delivered = 0;
        foreach (var hint in hints.ReadHints(gone, _options.HintReplayBatch))
        {
            var table = router.Current;
            var all = true;
            foreach (var owner in table.PreferenceList(hint.Key))
            {
                if (owner.Id == table.SelfId)
                {
                    await replica.MergeAsync(hint.Key, hint.Object, cancellationToken);
                    continue;
                }

                if (owner.State != MemberState.Alive)
                {
                    all = false;
                    continue;
                }

                try
                {
                    using var deadline = new PeerDeadline(_options.PeerTimeout, time, cancellationToken);
                    await peers.MergeAsync(owner, hint.Key, hint.Object, null, deadline.Token);
                }
                catch (Exception e) when (e is PeerUnreachableException or MutationRejectedException or RequestRejectedException && !cancellationToken.IsCancellationRequested)
                {
                    counters.PeerFailure();
                    LogTargetUnreachable(logger, owner.Id, e.Message);
                    all = false;
                }
            }

            if (all && await hints.DeleteHintAsync(gone, hint.Key, hint.Object, cancellationToken))
            {
                counters.HintDelivered();
                delivered++;
            }
        }

        if (delivered > 0)
        {
            LogRedirected(logger, delivered, gone);
        }

        return delivered;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Delivered {Count} hints for {Target}, which left, to the keys' current replicas")]
    private static partial void LogRedirected(ILogger logger, int count, string target);

    [LoggerMessage(Level = LogLevel.Information, Message = "Delivered {Count} hints to {Target}")]
    private static partial void LogDelivered(ILogger logger, int count, string target);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Hint target {Target} is unreachable: {Reason}")]
    private static partial void LogTargetUnreachable(ILogger logger, string target, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Hint target {Target} refused a hint: {Reason}")]
    private static partial void LogHintRefused(ILogger logger, string target, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "A hint replay round failed")]
    private static partial void LogReplayFailed(ILogger logger, Exception error);
}
