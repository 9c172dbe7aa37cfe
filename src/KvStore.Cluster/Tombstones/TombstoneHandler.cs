using KvStore.Cluster.Replication;
using KvStore.Storage;

namespace KvStore.Cluster.Tombstones;

/// <summary>
/// This node's side of a collector's requests, whatever carries them: reports what it holds for
/// each key and, when told to, removes tombstones that are still exactly what the collector saw.
/// </summary>
/// <remarks>
/// While this node resyncs after a long absence (<paramref name="gate"/> closed) it takes part in no
/// collection: it answers every key as hinted here, which no collector takes for stable, because
/// the data it set aside may still come back with an older copy of the key.
/// Before it removes anything it records the time in <paramref name="collections"/>, so a node back
/// from a long absence can learn from it whether a collection happened meanwhile (<see cref="AwayDecision"/>).
/// </remarks>
public sealed class TombstoneHandler(IObjectStore store, IHintStore hints, TombstoneCounters counters, ICollectionLog? collections = null, TimeProvider? time = null, ResyncGate? gate = null)
{
    /// <summary>Most entries one request may carry: a collector sends at most Tombstones:KeysPerPass.</summary>
    public const int MaxEntries = 10_000;

    /// <summary>The latest collection this node took part in (null if never, or if nothing records it), for a node back from a long absence.</summary>
    public DateTimeOffset? LastCollection => collections?.LastCollection;

    /// <exception cref="RequestRejectedException">Too many entries, or an entry whose object holds live data.</exception>
    public async Task<IReadOnlyList<TombstoneState>> HandleAsync(bool collect, IReadOnlyList<KeyTombstone> entries, CancellationToken cancellationToken)
    {
        if (entries.Count > MaxEntries)
        {
            throw new RequestRejectedException($"a tombstone request carries at most {MaxEntries} keys (got {entries.Count})");
        }

        if (entries.FirstOrDefault(e => e.Tombstone.IsLive) is { } live)
        {
            throw new RequestRejectedException($"the object sent for key {Convert.ToHexString(live.Key)} holds live data; only a tombstone can be collected");
        }

        if (gate is { IsResyncing: true })
        {
            return [.. entries.Select(_ => new TombstoneState(Holds: false, Hinted: true, Collected: false, Present: true))];
        }

        var result = new TombstoneState[entries.Count];
        var recorded = false;
        for (var i = 0; i < entries.Count; i++)
        {
            var (key, tombstone) = entries[i];
            var stored = store.Get(key);
            var holds = stored is not null && stored.Equals(tombstone);
            var hinted = hints.HintsForKey(key, 1).Count > 0;
            var collected = false;
            if (collect && holds && !hinted)
            {
                if (!recorded)
                {
                    collections?.RecordCollection((time ?? TimeProvider.System).GetUtcNow());
                    recorded = true;
                }

                collected = await store.CollectAsync(key, tombstone, cancellationToken);
                counters.RecordCollected(collected);
            }

            result[i] = new TombstoneState(holds, hinted, collected, Present: stored is not null && !collected);
        }

        return result;
    }
}
