namespace KvStore.Cluster;

/// <summary>Running totals of replication for the metrics endpoint; lock-free, a snapshot may be slightly torn.</summary>
public sealed class ClusterCounters
{
    private long _forwarded;
    private long _hintsHandedOff;
    private long _hintsStoredLocally;
    private long _hintsDelivered;
    private long _readRepairs;
    private long _contextCatchUps;
    private long _peerFailures;
    private long _overloaded;
    private long _mergeDriftObserved;
    private long _staleForwardsRefused;

    /// <summary>Writes sent to a replica to coordinate because this node is not one.</summary>
    public long Forwarded => Interlocked.Read(ref _forwarded);

    /// <summary>Writes for a down replica that a fallback node accepted as a hint.</summary>
    public long HintsHandedOff => Interlocked.Read(ref _hintsHandedOff);

    /// <summary>Writes for an unreachable replica kept as a hint on this node (no fallback took them).</summary>
    public long HintsStoredLocally => Interlocked.Read(ref _hintsStoredLocally);

    /// <summary>Hints delivered to their target and deleted.</summary>
    public long HintsDelivered => Interlocked.Read(ref _hintsDelivered);

    /// <summary>Stale replicas sent the merged state after a read.</summary>
    public long ReadRepairs => Interlocked.Read(ref _readRepairs);

    /// <summary>Writes whose context this replica had not fully seen, so it first fetched the other replicas' state.</summary>
    public long ContextCatchUps => Interlocked.Read(ref _contextCatchUps);

    /// <summary>Peer calls that failed or timed out.</summary>
    public long PeerFailures => Interlocked.Read(ref _peerFailures);

    /// <summary>Requests refused because <see cref="ReplicationOptions.MaxPendingRequests"/> were in flight.</summary>
    public long Overloaded => Interlocked.Read(ref _overloaded);

    /// <summary>Merged objects whose timestamps lay beyond the allowed drift; merged anyway, since refusing would stop convergence.</summary>
    public long MergeDriftObserved => Interlocked.Read(ref _mergeDriftObserved);

    internal void Forward() => Interlocked.Increment(ref _forwarded);

    internal void HintHandedOff() => Interlocked.Increment(ref _hintsHandedOff);

    internal void HintStoredLocally() => Interlocked.Increment(ref _hintsStoredLocally);

    internal void HintDelivered() => Interlocked.Increment(ref _hintsDelivered);

    internal void ReadRepair() => Interlocked.Increment(ref _readRepairs);

    internal void ContextCatchUp() => Interlocked.Increment(ref _contextCatchUps);

    internal void PeerFailure() => Interlocked.Increment(ref _peerFailures);

    internal void Overload() => Interlocked.Increment(ref _overloaded);

    internal void MergeDrift() => Interlocked.Increment(ref _mergeDriftObserved);

    /// <summary>Forwarded writes refused because they arrived after the sender had stopped waiting for them.</summary>
    public long StaleForwardsRefused => Interlocked.Read(ref _staleForwardsRefused);

    internal void StaleForwardRefused() => Interlocked.Increment(ref _staleForwardsRefused);
}
