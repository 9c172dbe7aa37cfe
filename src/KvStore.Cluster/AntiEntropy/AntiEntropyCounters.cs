namespace KvStore.Cluster.AntiEntropy;

/// <summary>Running totals of anti-entropy for the metrics endpoint; lock-free, a snapshot may be slightly torn.</summary>
public sealed class AntiEntropyCounters
{
    private long _exchanges;
    private long _failed;
    private long _segmentsDiffering;
    private long _keysDiffering;
    private long _keysFetched;
    private long _keysPushed;
    private long _keysRefused;
    private long _bytesSent;
    private long _bytesReceived;

    /// <summary>Exchanges this node started that ran to the end.</summary>
    public long Exchanges => Interlocked.Read(ref _exchanges);

    /// <summary>Exchanges that stopped early: the peer unreachable, or this node stopping.</summary>
    public long Failed => Interlocked.Read(ref _failed);

    /// <summary>Leaf segments found to differ.</summary>
    public long SegmentsDiffering => Interlocked.Read(ref _segmentsDiffering);

    /// <summary>Keys found to differ (missing on one side, or with different objects).</summary>
    public long KeysDiffering => Interlocked.Read(ref _keysDiffering);

    /// <summary>Objects fetched from a peer and merged here.</summary>
    public long KeysFetched => Interlocked.Read(ref _keysFetched);

    /// <summary>Objects sent to a peer to merge.</summary>
    public long KeysPushed => Interlocked.Read(ref _keysPushed);

    /// <summary>Keys that could not be merged: the replicas hold different types for them.</summary>
    public long KeysRefused => Interlocked.Read(ref _keysRefused);

    public long BytesSent => Interlocked.Read(ref _bytesSent);

    public long BytesReceived => Interlocked.Read(ref _bytesReceived);

    internal void Record(ExchangeReport report)
    {
        Interlocked.Increment(ref report.Error is null ? ref _exchanges : ref _failed);
        Interlocked.Add(ref _segmentsDiffering, report.SegmentsDiffering);
        Interlocked.Add(ref _keysDiffering, report.KeysDiffering);
        Interlocked.Add(ref _keysFetched, report.KeysFetched);
        Interlocked.Add(ref _keysPushed, report.KeysPushed);
        Interlocked.Add(ref _keysRefused, report.KeysRefused);
        Interlocked.Add(ref _bytesSent, report.BytesSent);
        Interlocked.Add(ref _bytesReceived, report.BytesReceived);
    }
}
