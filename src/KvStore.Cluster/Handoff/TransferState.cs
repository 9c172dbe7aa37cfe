namespace KvStore.Cluster.Handoff;

/// <summary>Where a transfer stands. Shown by the admin endpoint; values are explicit and append-only.</summary>
public enum TransferState
{
    /// <summary>Waiting for a free slot.</summary>
    Pending = 1,

    /// <summary>Moving keys now.</summary>
    Running = 2,

    /// <summary>Every key that differed was pushed.</summary>
    Done = 3,

    /// <summary>The target failed or the node stopped; tried again after the retry delay, resuming where it stopped.</summary>
    Failed = 4,

    /// <summary>The target no longer serves (dead or left); the new routing decides who gets its ranges.</summary>
    Abandoned = 5,
}

/// <summary>
/// One transfer as the admin view shows it. Segments are the leaf segments of the anti-entropy tree
/// found to differ; the total is known once the descent finished, and a resumed attempt counts on
/// from the segments earlier attempts completed.
/// </summary>
public sealed record TransferProgress(
    long Id,
    string Target,
    TransferState State,
    double RingFraction,
    int SegmentsDone,
    int SegmentsTotal,
    long KeysSent,
    long KeysRefused,
    long Bytes,
    int Attempts,
    DateTimeOffset Created,
    DateTimeOffset? Finished,
    string? Error);

/// <summary>Totals over the transfers this node ran since it started; keys and bytes are counted when a transfer ends.</summary>
public sealed record HandoffTotals(long Done, long Abandoned, long FailedAttempts, long KeysSent, long BytesSent, int Unfinished);
