namespace KvStore.Storage;

/// <summary>Running totals of the writer; read without locks, so a snapshot may be slightly torn.</summary>
public sealed class StorageStats
{
    private long _batches;
    private long _writes;
    private long _largestBatch;
    private long _hintsStored;
    private long _hintsDropped;
    private long _hintsDeleted;

    /// <summary>Write batches committed, with objects, hints or both.</summary>
    public long Batches => Interlocked.Read(ref _batches);

    /// <summary>Object writes committed (hints are counted apart).</summary>
    public long Writes => Interlocked.Read(ref _writes);

    /// <summary>Most puts and deletes, of objects and hints, committed in one batch.</summary>
    public long LargestBatch => Interlocked.Read(ref _largestBatch);

    /// <summary>Hints accepted, new or merged into one already held.</summary>
    public long HintsStored => Interlocked.Read(ref _hintsStored);

    /// <summary>Hints refused because their target had Storage:MaxHintsPerTarget already.</summary>
    public long HintsDropped => Interlocked.Read(ref _hintsDropped);

    /// <summary>Hints deleted after delivery.</summary>
    public long HintsDeleted => Interlocked.Read(ref _hintsDeleted);

    internal void RecordBatch(int objectWrites, int operations)
    {
        Interlocked.Increment(ref _batches);
        Interlocked.Add(ref _writes, objectWrites);
        if (operations > Interlocked.Read(ref _largestBatch))
        {
            Interlocked.Exchange(ref _largestBatch, operations);
        }
    }

    internal void RecordHints(int stored, int deleted)
    {
        Interlocked.Add(ref _hintsStored, stored);
        Interlocked.Add(ref _hintsDeleted, deleted);
    }

    internal void RecordHintDropped() => Interlocked.Increment(ref _hintsDropped);
}
