using KvStore.Cluster.Replication;
using KvStore.Cluster.Routing;
using KvStore.Core.Membership;
using KvStore.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace KvStore.Cluster.Tombstones;

/// <summary>What one pass did: tombstones checked for the first time, found stable, and removed here.</summary>
public readonly record struct CollectionPass(int Checked, int Stable, int Collected);

/// <summary>
/// Collects tombstones once they are causally stable: every replica of the key holds exactly this
/// tombstone and no node holds a hint for the key, so no stored copy older than the delete is left
/// anywhere that could bring the value back when merged into a key that no longer exists. Nothing
/// is collected for age alone (Cassandra's gc_grace resurrection).
/// </summary>
/// <remarks>
/// <para>
/// Each key is collected by the first node of its preference list. A pass first re-checks the keys
/// the previous pass found stable, once <see cref="TombstoneOptions.Grace"/> has passed since, and
/// has every replica remove them (each only if its object is still this tombstone, so a write that
/// landed in between wins); then it checks the next <see cref="TombstoneOptions.KeysPerPass"/>
/// tombstones. The grace lets calls that left before the tombstone was everywhere, carrying an
/// older object (a read repair, an anti-entropy push), end before the key is gone.
/// </para>
/// <para>
/// Every ring member is asked, not only the replicas, because hints sit on fallback nodes; and
/// every ring member must be alive and answer. A down node keeps its ring place until it is reaped,
/// so it blocks collection until then; a node away longer than that comes back empty
/// (<see cref="TombstoneOptions.Horizon"/>) and takes its old data back only if no node collected
/// meanwhile (<see cref="AwayRestore"/>), so it cannot bring back what was collected.
/// </para>
/// </remarks>
public sealed partial class TombstoneCollector(
    IObjectStore store,
    IHintStore hints,
    Router router,
    ITombstoneTransport peers,
    IOptions<TombstoneOptions> options,
    TombstoneCounters counters,
    TimeProvider time,
    ILogger<TombstoneCollector> logger,
    ICollectionLog? collections = null) : IAsyncDisposable
{
    private readonly TombstoneOptions _options = options.Value;
    private readonly BackgroundLoop _loop = new();
    private byte[]? _cursor;

    // Keys found stable by the last check, waiting out the grace: at most KeysPerPass.
    private List<KeyTombstone> _pending = [];
    private long _pendingSince;

    public TombstoneOptions Options => _options;

    public void Start()
    {
        if (_options.Enabled)
        {
            _loop.StartPeriodic(_options.Interval, time, RunPassAsync, e => LogPassFailed(logger, e));
        }
    }

    public ValueTask DisposeAsync() => _loop.DisposeAsync();

    /// <summary>One pass (see the remarks). Passes must not overlap (the timer loop runs one at a time).</summary>
    public async Task<CollectionPass> RunPassAsync(CancellationToken cancellationToken)
    {
        var collected = 0;
        if (_pending.Count > 0 && time.GetElapsedTime(_pendingSince) >= _options.Grace)
        {
            var due = _pending;
            _pending = [];
            collected = await CollectAsync(await StableAsync(due, cancellationToken), cancellationToken);
        }

        if (_pending.Count > 0)
        {
            return new CollectionPass(0, 0, collected);
        }

        var candidates = NextCandidates();
        _pending = await StableAsync(candidates, cancellationToken);
        _pendingSince = time.GetTimestamp();
        if (collected > 0)
        {
            LogCollected(logger, collected);
        }

        return new CollectionPass(candidates.Count, _pending.Count, collected);
    }

    /// <summary>The next tombstones in key order that this node collects: those it is first replica of.</summary>
    private List<KeyTombstone> NextCandidates()
    {
        var keys = store.ListTombstones(_cursor, _options.KeysPerPass);
        _cursor = keys.Count < _options.KeysPerPass ? null : keys[^1];
        var table = router.Current;
        var result = new List<KeyTombstone>(keys.Count);
        foreach (var key in keys)
        {
            if (table.PreferenceList(key)[0].Id == table.SelfId && store.Get(key) is { IsLive: false } tombstone)
            {
                result.Add(new KeyTombstone(key, tombstone));
            }
        }

        return result;
    }

    /// <summary>
    /// The entries that every replica holds exactly, that no other ring member holds in another
    /// state (a stray copy from before a ring change would come back if the ring changed again),
    /// and for which no ring member holds a hint.
    /// </summary>
    private async Task<List<KeyTombstone>> StableAsync(List<KeyTombstone> entries, CancellationToken cancellationToken)
    {
        if (entries.Count == 0)
        {
            return [];
        }

        // Recorded before anything is removed, here or elsewhere: see ICollectionLog.
        collections?.RecordCollection(time.GetUtcNow());
        var table = router.Current;
        var others = table.View.Members.Where(m => RoutingTable.OnRing(m) && m.Id != table.SelfId).ToList();
        if (others.FirstOrDefault(m => m.State != MemberState.Alive) is { } down)
        {
            LogNotAllAlive(logger, down.Id, down.State);
            counters.RecordNotStable(entries.Count);
            return [];
        }

        Dictionary<string, IReadOnlyList<TombstoneState>> answers;
        try
        {
            var calls = others.Select(async m => (m.Id, States: await CallAsync(m, collect: false, entries, cancellationToken)));
            answers = (await Task.WhenAll(calls)).ToDictionary(a => a.Id, a => a.States, StringComparer.Ordinal);
        }
        catch (PeerUnreachableException e) when (!cancellationToken.IsCancellationRequested)
        {
            LogPeerUnreachable(logger, e.Message);
            counters.RecordNotStable(entries.Count);
            return [];
        }

        var stable = new List<KeyTombstone>(entries.Count);
        for (var i = 0; i < entries.Count; i++)
        {
            var (key, tombstone) = entries[i];
            var replicas = table.PreferenceList(key);
            var ok = store.Get(key) is { } mine && mine.Equals(tombstone) && hints.HintsForKey(key, 1).Count == 0
                && answers.Values.All(a => !a[i].Hinted && (!a[i].Present || a[i].Holds))
                && replicas.All(r => r.Id == table.SelfId || (answers.TryGetValue(r.Id, out var a) && a[i].Holds));
            if (ok)
            {
                stable.Add(entries[i]);
            }
        }

        counters.RecordNotStable(entries.Count - stable.Count);
        return stable;
    }

    /// <summary>
    /// Has every other ring member remove the entries it holds (the replicas, and any stray copy
    /// elsewhere), then removes them here; returns how many were removed here.
    /// </summary>
    private async Task<int> CollectAsync(List<KeyTombstone> stable, CancellationToken cancellationToken)
    {
        if (stable.Count == 0)
        {
            return 0;
        }

        // Recorded before anything is removed, here or elsewhere: see ICollectionLog.
        collections?.RecordCollection(time.GetUtcNow());
        var table = router.Current;
        var others = table.View.Members.Where(m => RoutingTable.OnRing(m) && m.Id != table.SelfId).ToList();

        // A node that cannot be reached keeps its tombstone, which anti-entropy may copy back
        // here; then the key is simply collected again in a later cycle.
        await Task.WhenAll(others.Select(async member =>
        {
            try
            {
                await CallAsync(member, collect: true, stable, cancellationToken);
            }
            catch (PeerUnreachableException e) when (!cancellationToken.IsCancellationRequested)
            {
                LogPeerUnreachable(logger, e.Message);
            }
        }));

        // Removed here whatever the others did: a replica that kept the tombstone, or took a write
        // meanwhile, holds a state at least as new as this one, which anti-entropy spreads back
        // harmlessly; and the store's collected counter keeps new dots clear of the old ones.
        var collected = 0;
        foreach (var (key, tombstone) in stable)
        {
            if (hints.HintsForKey(key, 1).Count > 0)
            {
                continue;
            }

            var removed = await store.CollectAsync(key, tombstone, cancellationToken);
            counters.RecordCollected(removed);
            collected += removed ? 1 : 0;
        }

        return collected;
    }

    private async Task<IReadOnlyList<TombstoneState>> CallAsync(Member target, bool collect, IReadOnlyList<KeyTombstone> entries, CancellationToken cancellationToken)
    {
        using var deadline = new PeerDeadline(_options.PeerTimeout, time, cancellationToken);
        try
        {
            var states = await peers.TombstonesAsync(target, collect, entries, deadline.Token);
            return states.Count == entries.Count
                ? states
                : throw new PeerUnreachableException(target.Id, $"answered {states.Count} states for {entries.Count} keys");
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new PeerUnreachableException(target.Id, "no answer in time");
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Collected {Count} tombstones")]
    private static partial void LogCollected(ILogger logger, int count);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Tombstones not collected: ring member {Member} is {State}")]
    private static partial void LogNotAllAlive(ILogger logger, string member, MemberState state);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Tombstones not collected: {Reason}")]
    private static partial void LogPeerUnreachable(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "A tombstone collection pass failed")]
    private static partial void LogPassFailed(ILogger logger, Exception error);
}
