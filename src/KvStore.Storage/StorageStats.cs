namespace KvStore.Storage;

/// <summary>Running totals of the writer; read without locks, so a snapshot may be slightly torn.</summary>
public sealed class StorageStats
{
    private long _batches;
    private long _writes;
    private long _largestBatch;

    public long Batches => Interlocked.Read(ref _batches);

    public long Writes => Interlocked.Read(ref _writes);

    public long LargestBatch => Interlocked.Read(ref _largestBatch);

    internal void RecordBatch(int writes)
    {
        Interlocked.Increment(ref _batches);
        Interlocked.Add(ref _writes, writes);
        if (writes > Interlocked.Read(ref _largestBatch))
        {
            Interlocked.Exchange(ref _largestBatch, writes);
        }
    }
}
