namespace KvStore.Cluster;

/// <summary>How keys are placed and how many replicas a request waits for (configuration section "Replication").</summary>
public sealed class ReplicationOptions
{
    /// <summary>
    /// N: replicas of every key, the first N distinct nodes clockwise on the ring. Three survives one
    /// failure with a majority left, as in Dynamo and Riak's default n_val.
    /// </summary>
    public int ReplicationFactor { get; set; } = 3;

    /// <summary>
    /// R: replies a QUORUM read waits for. With R + W > N a quorum read overlaps a quorum write's
    /// replicas, unless some of the write's acknowledgements came from fallbacks holding hints
    /// (sloppy quorum); then the read may miss it until the hints are delivered.
    /// </summary>
    public int ReadQuorum { get; set; } = 2;

    /// <summary>W: acknowledgements a QUORUM write waits for (the coordinating replica's own counts as one).</summary>
    public int WriteQuorum { get; set; } = 2;

    /// <summary>Virtual nodes per physical node: 64 keeps each node's share of the ring within a few percent of even for small clusters.</summary>
    public int TokensPerNode { get; set; } = 64;

    /// <summary>
    /// How long a coordinator waits for one replica's answer. A replica that misses it counts as not
    /// acknowledging; a write then goes to a fallback as a hint.
    /// </summary>
    public TimeSpan PeerTimeout { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// Client requests this node coordinates at once, including the replication that continues after
    /// the client was answered. Beyond it a request is refused with RESOURCE_EXHAUSTED rather than
    /// queued without bound.
    /// </summary>
    public int MaxPendingRequests { get; set; } = 4096;

    /// <summary>
    /// Bytes of requests this node may have outstanding to one peer on its batched stream. Beyond
    /// it callers wait (backpressure) instead of queueing without bound; 64 MiB keeps several
    /// thousand small writes in flight per peer.
    /// </summary>
    public long MaxInFlightBytesPerPeer { get; set; } = 64L << 20;

    /// <summary>How often held hints are offered to targets that are alive again.</summary>
    public TimeSpan HintReplayInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Hints sent to one target per replay round, so a returning node is not flooded.</summary>
    public int HintReplayBatch { get; set; } = 256;

    public IEnumerable<string> Validate()
    {
        if (ReplicationFactor is < 1 or > 16)
        {
            yield return $"Replication:ReplicationFactor must be between 1 and 16 (is {ReplicationFactor})";
        }

        if (ReadQuorum < 1 || ReadQuorum > ReplicationFactor)
        {
            yield return $"Replication:ReadQuorum must be between 1 and ReplicationFactor ({ReplicationFactor}) (is {ReadQuorum})";
        }

        if (WriteQuorum < 1 || WriteQuorum > ReplicationFactor)
        {
            yield return $"Replication:WriteQuorum must be between 1 and ReplicationFactor ({ReplicationFactor}) (is {WriteQuorum})";
        }

        if (TokensPerNode is < 1 or > 1024)
        {
            yield return $"Replication:TokensPerNode must be between 1 and 1024 (is {TokensPerNode})";
        }

        if (PeerTimeout <= TimeSpan.Zero || PeerTimeout > TimeSpan.FromMinutes(5))
        {
            yield return $"Replication:PeerTimeout must be positive and at most 5 minutes (is {PeerTimeout})";
        }

        if (MaxPendingRequests is < 1 or > 1_000_000)
        {
            yield return $"Replication:MaxPendingRequests must be between 1 and 1000000 (is {MaxPendingRequests})";
        }

        if (MaxInFlightBytesPerPeer is < 1 << 20 or > 1L << 34)
        {
            yield return $"Replication:MaxInFlightBytesPerPeer must be between 1 MiB and 16 GiB (is {MaxInFlightBytesPerPeer})";
        }

        if (HintReplayInterval <= TimeSpan.Zero)
        {
            yield return $"Replication:HintReplayInterval must be positive (is {HintReplayInterval})";
        }

        if (HintReplayBatch is < 1 or > 100_000)
        {
            yield return $"Replication:HintReplayBatch must be between 1 and 100000 (is {HintReplayBatch})";
        }
    }

    /// <summary>Acknowledgements a write at <paramref name="level"/> needs when the key has <paramref name="replicas"/> replicas.</summary>
    public int WritesNeeded(ConsistencyLevel level, int replicas) => Needed(level, WriteQuorum, replicas);

    /// <summary>Replies a read at <paramref name="level"/> needs when the key has <paramref name="replicas"/> replicas.</summary>
    public int ReadsNeeded(ConsistencyLevel level, int replicas) => Needed(level, ReadQuorum, replicas);

    // A cluster smaller than N holds each key on every node; the levels shrink with it, so a single
    // node meets every level by itself.
    private static int Needed(ConsistencyLevel level, int quorum, int replicas) => level switch
    {
        ConsistencyLevel.One => 1,
        ConsistencyLevel.All => replicas,
        _ => Math.Min(quorum, replicas),
    };
}
