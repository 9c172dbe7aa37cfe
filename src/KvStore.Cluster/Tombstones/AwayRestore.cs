using KvStore.Cluster.Replication;
using KvStore.Cluster.Routing;
using KvStore.Core.Crdt;
using KvStore.Core.Membership;
using KvStore.Storage;
using Microsoft.Extensions.Logging;

namespace KvStore.Cluster.Tombstones;

/// <summary>Where a node back from a long absence stands with the data it set aside.</summary>
public enum AwayPhase
{
    /// <summary>The node was not away longer than the horizon: nothing was set aside.</summary>
    None = 0,

    /// <summary>Asking the alive ring members whether any collected since this node was last alive.</summary>
    Deciding = 1,

    /// <summary>None did: merging the set-aside objects and hints back.</summary>
    Restoring = 2,

    /// <summary>All of it was merged back.</summary>
    Restored = 3,

    /// <summary>A peer collected meanwhile (or the data could not be read): it stays aside, and anti-entropy fills the node.</summary>
    KeptAside = 4,
}

/// <summary>A snapshot of <see cref="AwayRestore"/> for the admin view and metrics.</summary>
public sealed record AwayStatus(
    AwayPhase Phase,
    DateTimeOffset? LastAlive,
    string? AsidePath,
    long Restored,
    long Total,
    int Rejected,
    IReadOnlyDictionary<string, DateTimeOffset?> Answers,
    string? Reason);

/// <summary>
/// Decides, for a node that came back after being away longer than the tombstone horizon, whether
/// the data it set aside at start may come back (<see cref="AwayDecision"/>), and merges it back if
/// so: every object through <see cref="LocalReplica.MergeAsync"/>, the path every received object
/// takes, so the Merkle tree and tombstone index stay exact, and every hint into the hint store.
/// The node serves peers meanwhile (it answers the same question for them), so a whole cluster
/// that restarts this way at once decides without waiting on itself; its read gate stays closed
/// until the decision and any restore are done.
/// </summary>
/// <param name="lastAlive">When the set-aside data was last marked alive; null when nothing was set aside (the phase stays <see cref="AwayPhase.None"/>).</param>
/// <param name="ringMembers">How many ring members this node saw at that mark (itself included), if recorded.</param>
public sealed partial class AwayRestore(
    DateTimeOffset? lastAlive,
    int? ringMembers,
    string asidePath,
    Func<IAsideSource> openAside,
    Router router,
    ICollectionTransport peers,
    LocalReplica replica,
    IHintStore hints,
    AwayRestoreOptions options,
    TimeProvider time,
    ILogger logger)
{
    private readonly Lock _lock = new();
    private AwayStatus _status = new(lastAlive is null ? AwayPhase.None : AwayPhase.Deciding, lastAlive, asidePath, 0, 0, 0, new Dictionary<string, DateTimeOffset?>(), null);

    public AwayStatus Status
    {
        get
        {
            lock (_lock)
            {
                return _status;
            }
        }
    }

    /// <summary>
    /// Asks the alive ring members until they all answer or one collected since
    /// <c>lastAlive</c>, then restores or keeps the data aside. Returns the final phase:
    /// <see cref="AwayPhase.Restored"/> or <see cref="AwayPhase.KeptAside"/>.
    /// </summary>
    /// <exception cref="InvalidOperationException">Nothing was set aside.</exception>
    public async Task<AwayPhase> RunAsync(CancellationToken stop)
    {
        var answers = new Dictionary<string, DateTimeOffset?>();
        var delay = options.RetryDelay;
        var since = (lastAlive ?? throw new InvalidOperationException("nothing was set aside")) + options.Allowance;
        var started = time.GetTimestamp();
        var expected = Math.Max(0, (ringMembers ?? 0) - 1);
        while (true)
        {
            var table = router.Current;
            var alive = table.View.Members.Where(m => RoutingTable.OnRing(m) && m.Id != table.SelfId && m.State == MemberState.Alive).ToList();

            // A peer that restarted meanwhile may have collected since it answered: ask every round.
            answers.Clear();
            var asked = await Task.WhenAll(alive.Select(m => AskAsync(m, stop)));
            foreach (var (id, answered, at) in asked)
            {
                if (answered)
                {
                    answers[id] = at;
                }
            }

            SetStatus(s => s with { Answers = new Dictionary<string, DateTimeOffset?>(answers) });
            var waitedEnough = time.GetElapsedTime(started) >= options.WaitForMembers;
            switch (AwayDecision.Decide(since, alive.Select(m => m.Id).ToList(), answers, waitedEnough ? 0 : expected))
            {
                case AwayVerdict.KeepAside:
                {
                    var (peer, at) = answers.First(a => a.Value > since);
                    var reason = $"{peer} collected tombstones at {at:O}, after this node was last alive ({lastAlive:O})";
                    LogKeptAside(logger, asidePath, reason);
                    SetStatus(s => s with { Phase = AwayPhase.KeptAside, Reason = reason });
                    return AwayPhase.KeptAside;
                }

                case AwayVerdict.Restore:
                    return await RestoreAsync(answers.Count, stop);

                default:
                    LogWaiting(logger, alive.Count, answers.Count, expected, delay);
                    await Task.Delay(delay, time, stop);
                    delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, options.MaxRetryDelay.Ticks));
                    break;
            }
        }
    }

    private async Task<(string Id, bool Answered, DateTimeOffset? At)> AskAsync(Member member, CancellationToken stop)
    {
        using var deadline = new PeerDeadline(options.PeerTimeout, time, stop);
        try
        {
            return (member.Id, true, await peers.LastCollectionAsync(member, deadline.Token));
        }
        catch (PeerUnreachableException e)
        {
            LogNoAnswer(logger, member.Id, e.Message);
            return (member.Id, false, null);
        }
        catch (OperationCanceledException) when (!stop.IsCancellationRequested)
        {
            LogNoAnswer(logger, member.Id, "no answer in time");
            return (member.Id, false, null);
        }
    }

    private async Task<AwayPhase> RestoreAsync(int peersAsked, CancellationToken stop)
    {
        IAsideSource aside;
        try
        {
            aside = openAside();
        }
        catch (StorageException e)
        {
            var reason = $"the set-aside data cannot be read: {e.Message}";
            LogKeptAside(logger, asidePath, reason);
            SetStatus(s => s with { Phase = AwayPhase.KeptAside, Reason = reason });
            return AwayPhase.KeptAside;
        }

        using (aside)
        {
            var from = lastAlive!.Value;
            var total = aside.EstimatedCount;
            LogRestoring(logger, peersAsked, from, aside.Path, total);
            SetStatus(s => s with { Phase = AwayPhase.Restoring, Total = total });
            var rejected = 0;
            var restored = 0L;
            byte[]? after = null;
            while (true)
            {
                var page = aside.Objects(after, options.BatchSize);
                if (page.Count == 0)
                {
                    break;
                }

                var results = await Task.WhenAll(page.Select(async entry =>
                {
                    try
                    {
                        await replica.MergeAsync(entry.Key, entry.Object, stop);
                        return true;
                    }
                    catch (MutationRejectedException e)
                    {
                        LogRejected(logger, Convert.ToHexString(entry.Key), e.Message);
                        return false;
                    }
                }));
                rejected += results.Count(ok => !ok);
                restored += page.Count;
                after = page[^1].Key;
                SetStatus(s => s with { Restored = restored, Rejected = rejected });
                await PaceAsync(page.Count, stop);
            }

            after = null;
            while (true)
            {
                var page = aside.Hints(after, options.BatchSize);
                if (page.Count == 0)
                {
                    break;
                }

                foreach (var (_, hint) in page)
                {
                    // A hint store full for the target refuses a new key: anti-entropy repairs it.
                    await hints.AddHintAsync(hint.Target, hint.Key, hint.Object, stop);
                }

                restored += page.Count;
                after = page[^1].StoredKey;
                SetStatus(s => s with { Restored = restored });
                await PaceAsync(page.Count, stop);
            }

            LogRestored(logger, restored, rejected, aside.Path);
            SetStatus(s => s with { Phase = AwayPhase.Restored, Total = Math.Max(s.Total, restored) });
            return AwayPhase.Restored;
        }
    }

    /// <summary>Keeps the restore under <see cref="AwayRestoreOptions.KeysPerSecond"/>, so it leaves the disk to the node's own traffic.</summary>
    private Task PaceAsync(int count, CancellationToken stop) => options.KeysPerSecond > 0
        ? Task.Delay(TimeSpan.FromSeconds((double)count / options.KeysPerSecond), time, stop)
        : Task.CompletedTask;

    private void SetStatus(Func<AwayStatus, AwayStatus> change)
    {
        lock (_lock)
        {
            _status = change(_status);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "The data set aside after a long absence stays in {Aside}: {Reason}; anti-entropy fills this node from its peers")]
    private static partial void LogKeptAside(ILogger logger, string aside, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Waiting to decide about the data set aside: {Answered} of {Alive} alive ring members answered ({Expected} were on the ring with this node); asking again in {Delay}")]
    private static partial void LogWaiting(ILogger logger, int alive, int answered, int expected, TimeSpan delay);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Ring member {Member} did not say when it last collected: {Reason}")]
    private static partial void LogNoAnswer(ILogger logger, string member, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "None of the {Peers} alive ring members collected a tombstone since this node was last alive ({LastAlive}): merging back the data set aside in {Aside} (about {Total} objects and hints)")]
    private static partial void LogRestoring(ILogger logger, int peers, DateTimeOffset lastAlive, string aside, long total);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Set-aside object for key {Key} not merged back: {Reason}")]
    private static partial void LogRejected(ILogger logger, string key, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Merged back {Count} objects and hints set aside in {Aside} ({Rejected} refused)")]
    private static partial void LogRestored(ILogger logger, long count, int rejected, string aside);
}

/// <summary>How <see cref="AwayRestore"/> asks and restores; built from <see cref="TombstoneOptions"/>.</summary>
public sealed record AwayRestoreOptions
{
    /// <summary>
    /// How long after its last-alive mark a collection cannot have left this node out: until its
    /// next mark was due it was running and took part, and once stopped it stayed on the ring,
    /// which blocks every collection, until reaped (Membership:ReapAfter, longer than the horizon).
    /// </summary>
    public TimeSpan Allowance { get; init; }

    public TimeSpan PeerTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>How long to wait for as many peers as were on the ring at the mark before deciding with those alive.</summary>
    public TimeSpan WaitForMembers { get; init; } = TimeSpan.FromMinutes(5);

    public TimeSpan RetryDelay { get; init; } = TimeSpan.FromMilliseconds(500);

    public TimeSpan MaxRetryDelay { get; init; } = TimeSpan.FromSeconds(30);

    public int BatchSize { get; init; } = 256;

    /// <summary>Objects and hints merged back per second at most; 0 for no limit.</summary>
    public int KeysPerSecond { get; init; } = 20_000;

    public static AwayRestoreOptions From(TombstoneOptions tombstones) => new()
    {
        Allowance = tombstones.AliveMarkInterval,
        PeerTimeout = tombstones.PeerTimeout,
        WaitForMembers = tombstones.AwayWaitForMembers,
        KeysPerSecond = tombstones.RestoreKeysPerSecond,
    };
}
