namespace KvStore.Cluster.Tombstones;

/// <summary>Running totals of tombstone collection for the metrics endpoint; lock-free.</summary>
public sealed class TombstoneCounters
{
    private long _collected;
    private long _notStable;
    private long _refused;

    /// <summary>Tombstones removed from this node's store, as collector or as a replica told to.</summary>
    public long Collected => Interlocked.Read(ref _collected);

    /// <summary>
    /// Tombstones this node looked at as collector and left: a replica held another object, some node
    /// held a hint for the key, or a ring member was not alive or did not answer.
    /// </summary>
    public long SkippedNotStable => Interlocked.Read(ref _notStable);

    /// <summary>Removals the store refused because the key was written after the check (the write wins).</summary>
    public long Refused => Interlocked.Read(ref _refused);

    internal void RecordCollected(bool removed) => Interlocked.Increment(ref removed ? ref _collected : ref _refused);

    internal void RecordNotStable(int count) => Interlocked.Add(ref _notStable, count);
}
