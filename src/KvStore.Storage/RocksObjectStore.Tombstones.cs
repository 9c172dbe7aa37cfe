using System.Buffers.Binary;
using System.Diagnostics;
using KvStore.Core.AntiEntropy;
using KvStore.Core.Crdt;
using KvStore.Core.Ring;
using KvStore.Core.Serialization;
using Microsoft.Extensions.Logging;
using RocksDbSharp;

namespace KvStore.Storage;

/// <summary>
/// Tombstones and their collection. The "tombstones" family indexes every key whose object is a
/// tombstone (<see cref="KvObject.IsLive"/> false), kept by the writer in the batch that makes or
/// unmakes the tombstone, so a collector pages through the tombstones without scanning the objects.
/// A collection removes the object, its anti-entropy index entry and leaf hash and its tombstone
/// entry in one batch, and only if the object is still the tombstone the caller saw.
/// </summary>
public sealed partial class RocksObjectStore
{
    internal const string TombstonesFamily = "tombstones";

    /// <summary>The meta entry that says the tombstone index is complete; without it (an older directory) the index is built at open.</summary>
    internal const string TombstoneIndexName = "tombstone-index";

    /// <summary>The meta entry holding <see cref="CollectedCounter"/>, 8 bytes big-endian.</summary>
    internal const string CollectedCounterName = "collected-counter";

    private static readonly byte[] TombstoneIndexKey = "tombstone-index"u8.ToArray();
    private static readonly byte[] CollectedCounterKey = "collected-counter"u8.ToArray();

    private ColumnFamilyHandle _tombstones = null!;
    private ulong _collectedCounter;

    public ulong CollectedCounter => Volatile.Read(ref _collectedCounter);

    public IReadOnlyList<byte[]> ListTombstones(byte[]? after, int max)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(max);
        var result = new List<byte[]>();
        using var it = _db.NewIterator(_tombstones);
        if (after is null)
        {
            it.SeekToFirst();
        }
        else
        {
            it.Seek(after);
        }

        for (; it.Valid() && result.Count < max; it.Next())
        {
            var key = it.Key();
            if (after is null || !key.AsSpan().SequenceEqual(after))
            {
                result.Add(key);
            }
        }

        return result;
    }

    public Task<bool> CollectAsync(byte[] key, KvObject tombstone, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(tombstone);
        if (tombstone.IsLive)
        {
            throw new ArgumentException("only a tombstone can be collected; the object holds live data", nameof(tombstone));
        }

        return EnqueueAsync(new PendingCollect(key, tombstone, cancellationToken));
    }

    /// <summary>Stages the index change a write makes: in when the key becomes a tombstone, out when it is live again.</summary>
    private void StageTombstoneIndex(WriteGroup group, byte[] key, KvObject? current, KvObject next)
    {
        var wasTombstone = current is { IsLive: false };
        if (!next.IsLive && !wasTombstone)
        {
            group.Batch.Put(key, Array.Empty<byte>(), _tombstones);
        }
        else if (next.IsLive && wasTombstone)
        {
            group.Batch.Delete(key, _tombstones);
        }
    }

    private void StageCollect(PendingCollect item, WriteGroup group)
    {
        var current = CurrentOf(item.Key, group, out var currentHash);
        if (current is null || !current.Equals(item.Tombstone))
        {
            // Written since the collector looked (or already gone): whatever is there now stays.
            item.SetResult(false);
            return;
        }

        group.Batch.Delete(item.Key, _objects);
        group.Batch.Delete(item.Key, _tombstones);
        var position = HashRing.KeyHash(item.Key);
        group.Batch.Delete(MerkleLayout.IndexKey(position, item.Key), _positions);
        var segment = Segments.Of(position);
        group.LeafChanges[segment] = group.LeafChanges.GetValueOrDefault(segment) ^ currentHash;
        group.Objects[item.Key] = (null, [], 0);

        // A later write of the key starts from an empty object, and this actor must not reuse the
        // counters the collected object's clock holds: a copy of the old tombstone arriving later
        // would otherwise swallow the new write. The floor is raised now, before the batch lands,
        // so a write staged after this in the same group already counts past it; it is stored in
        // the same batch as the delete.
        var counter = current.Clock[Actor];
        if (counter > CollectedCounter)
        {
            Volatile.Write(ref _collectedCounter, counter);
            var bytes = new byte[8];
            BinaryPrimitives.WriteUInt64BigEndian(bytes, counter);
            group.Batch.Put(CollectedCounterKey, bytes, _meta);
        }

        group.Operations++;
        item.SetResult(true);
    }

    private void LoadTombstoneState()
    {
        _tombstones = _db.GetColumnFamily(TombstonesFamily);
        _collectedCounter = _db.Get(CollectedCounterKey, _meta) is { Length: 8 } stored ? BinaryPrimitives.ReadUInt64BigEndian(stored) : 0;
    }

    /// <summary>
    /// Builds the tombstone index of a directory written before it existed (or whose build did not
    /// finish), by one scan of the objects; a directory with the marker is used as it is.
    /// </summary>
    private static void PrepareTombstoneIndex(RocksDb db, string path, ILogger logger)
    {
        var meta = db.GetColumnFamily(MetaFamily);
        if (db.Get(TombstoneIndexKey, meta) is not null)
        {
            return;
        }

        var started = Stopwatch.GetTimestamp();
        db.DropColumnFamily(TombstonesFamily);
        db.CreateColumnFamily(new ColumnFamilyOptions(), TombstonesFamily);
        var tombstones = db.GetColumnFamily(TombstonesFamily);
        var count = 0L;
        var batch = new WriteBatch();
        try
        {
            using (var it = db.NewIterator(db.GetColumnFamily(ObjectsFamily)))
            {
                for (it.SeekToFirst(); it.Valid(); it.Next())
                {
                    if (!ObjectCodec.Decode(it.Value()).IsLive)
                    {
                        batch.Put(it.Key(), Array.Empty<byte>(), tombstones);
                        if (++count % BuildBatch == 0)
                        {
                            db.Write(batch);
                            batch.Dispose();
                            batch = new WriteBatch();
                        }
                    }
                }
            }

            batch.Put(TombstoneIndexKey, new byte[] { 1 }, meta);
            db.Write(batch, SyncWrite);
        }
        finally
        {
            batch.Dispose();
        }

        LogTombstonesIndexed(logger, path, count, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
    }

    /// <summary>A removal of a key if it still holds the given tombstone; the result says whether it was removed.</summary>
    private sealed class PendingCollect(byte[] key, KvObject tombstone, CancellationToken cancellationToken)
        : WriteItem<bool>(cancellationToken)
    {
        public byte[] Key { get; } = key;

        public KvObject Tombstone { get; } = tombstone;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Indexed {Count} tombstones of {Path} in {Millis:F0} ms")]
    private static partial void LogTombstonesIndexed(ILogger logger, string path, long count, double millis);
}
