using KvStore.Core.AntiEntropy;

namespace KvStore.Cluster.Handoff;

/// <summary>
/// The mutable record of one transfer: its target and ranges, its state, and how far it got. The
/// cursor is the last leaf segment an attempt finished; a later attempt skips the segments up to
/// it, and its tree descent skips every segment that already agrees, so a resumed transfer only
/// moves what is still missing. Counters are updated by the running attempt and read by the admin view.
/// </summary>
internal sealed class HandoffTransfer(long id, string target, HashRanges ranges, DateTimeOffset created)
{
    private long _keysSent;
    private long _keysRefused;
    private long _bytes;
    private int _segmentsDone;

    public long Id { get; } = id;

    public string Target { get; } = target;

    public HashRanges Ranges { get; } = ranges;

    public DateTimeOffset Created { get; } = created;

    public TransferState State { get; set; } = TransferState.Pending;

    public int Attempts { get; set; }

    public DateTimeOffset? Finished { get; set; }

    public string? Error { get; set; }

    /// <summary>When a failed transfer may run again.</summary>
    public long RetryAt { get; set; }

    /// <summary>The last leaf segment completed by any attempt; -1 before the first.</summary>
    public int Cursor { get; set; } = -1;

    public int SegmentsTotal { get; set; }

    public long KeysSent => Interlocked.Read(ref _keysSent);

    public bool IsUnfinished => State is TransferState.Pending or TransferState.Running or TransferState.Failed;

    public void SegmentDone(int segment)
    {
        Cursor = segment;
        Interlocked.Increment(ref _segmentsDone);
    }

    /// <summary>A resumed attempt re-descends; segments it skips by the cursor stay counted as done.</summary>
    public void RestartCount(int skipped) => Volatile.Write(ref _segmentsDone, skipped);

    public void Sent() => Interlocked.Increment(ref _keysSent);

    public void Refused() => Interlocked.Increment(ref _keysRefused);

    public void AddBytes(long bytes) => Interlocked.Add(ref _bytes, bytes);

    public TransferProgress Snapshot() => new(
        Id, Target, State, Ranges.Fraction, Volatile.Read(ref _segmentsDone), SegmentsTotal, KeysSent,
        Interlocked.Read(ref _keysRefused), Interlocked.Read(ref _bytes), Attempts, Created, Finished, Error);
}
