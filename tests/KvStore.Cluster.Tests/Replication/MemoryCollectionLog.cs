using KvStore.Storage;

namespace KvStore.Cluster.Tests.Replication;

/// <summary>An in-memory <see cref="ICollectionLog"/>, as the RocksDB store keeps it in its meta family.</summary>
internal sealed class MemoryCollectionLog : ICollectionLog
{
    private readonly Lock _lock = new();
    private DateTimeOffset? _last;

    public DateTimeOffset? LastCollection
    {
        get
        {
            lock (_lock)
            {
                return _last;
            }
        }
    }

    public void RecordCollection(DateTimeOffset at)
    {
        lock (_lock)
        {
            if (_last is null || at > _last)
            {
                _last = at;
            }
        }
    }
}
