using System.Diagnostics;
using System.Text;
using KvStore.Core.AntiEntropy;
using KvStore.Core.Crdt;
using KvStore.Core.Ring;
using Microsoft.Extensions.Logging;
using RocksDbSharp;

namespace KvStore.Storage;

/// <summary>
/// The store's side of anti-entropy: the segment tree, maintained by the writer in the same batch
/// as every object it writes (see <see cref="StageUpdate"/>), and read here by exchanges. The whole
/// tree is also held in memory (<see cref="SegmentLeaves"/>), published after each batch is written.
/// </summary>
public sealed partial class RocksObjectStore : IMerkleSource
{
    /// <summary>Objects indexed by the open-time build per write batch.</summary>
    private const int BuildBatch = 4096;

    private readonly SegmentLeaves _tree = new();

    /// <summary>Objects the tree was built from when this directory was opened, or -1 when the stored tree was current.</summary>
    public long TreeBuiltFrom { get; private set; } = -1;

    public ulong NodeHash(int depth, int index)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        return _tree.Node(depth, index);
    }

    public ulong RangeHash(HashInterval interval)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        var hash = 0UL;
        using var it = _db.NewIterator(_positions);
        for (it.Seek(MerkleLayout.PositionKey(interval.First)); it.Valid(); it.Next())
        {
            var indexKey = it.Key();
            if (MerkleLayout.PositionOf(indexKey) > interval.Last)
            {
                break;
            }

            hash ^= StoredHash(indexKey[8..]);
        }

        return hash;
    }

    public IReadOnlyList<KeyHash> ListKeyHashes(HashInterval interval, byte[]? after, int max)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(max);
        var start = MerkleLayout.PositionKey(interval.First);
        if (after is not null && HashRing.KeyHash(after) is var afterPosition && afterPosition >= interval.First)
        {
            start = MerkleLayout.IndexKey(afterPosition, after);
        }
        else
        {
            after = null;
        }

        var result = new List<KeyHash>();
        using var it = _db.NewIterator(_positions);
        for (it.Seek(start); it.Valid() && result.Count < max; it.Next())
        {
            var indexKey = it.Key();
            var position = MerkleLayout.PositionOf(indexKey);
            if (position > interval.Last)
            {
                break;
            }

            if (after is not null && indexKey.AsSpan().SequenceEqual(start))
            {
                continue;
            }

            var key = indexKey[8..];
            result.Add(new KeyHash(key, position, StoredHash(key)));
        }

        return result;
    }

    /// <summary>
    /// The hash of a key's stored object. Read apart from the position scan, so an update landing
    /// in between gives the newer hash: an exchange then sees a difference it repairs (a merge
    /// changes nothing) or leaves for the next round.
    /// </summary>
    private ulong StoredHash(byte[] key) => _db.Get(key, _objects) is { } stored ? ObjectHash.Of(key, stored) : 0;

    /// <summary>
    /// Makes the tree families current before the writer starts: a directory written by this layout
    /// is used as it is; any other (older, without the families, or a build that did not finish) gets
    /// its tree built from scratch by one scan of the objects. Returns the objects scanned, or -1.
    /// </summary>
    private static long PrepareTree(RocksDb db, string path, ILogger logger)
    {
        var meta = db.GetColumnFamily(MetaFamily);
        var formatKey = Encoding.UTF8.GetBytes(MerkleLayout.FormatName);
        if (db.Get(formatKey, meta) is { } format && format.AsSpan().SequenceEqual(MerkleLayout.FormatValue))
        {
            return -1;
        }

        var started = Stopwatch.GetTimestamp();

        // Start from empty families: whatever an unfinished build or another layout left is not trusted.
        foreach (var name in new[] { MerkleLayout.PositionsFamily, MerkleLayout.SegmentsFamily })
        {
            db.DropColumnFamily(name);
            db.CreateColumnFamily(name == MerkleLayout.SegmentsFamily ? SegmentsFamilyOptions() : new ColumnFamilyOptions(), name);
        }

        var positions = db.GetColumnFamily(MerkleLayout.PositionsFamily);
        var segments = db.GetColumnFamily(MerkleLayout.SegmentsFamily);
        var leaves = new ulong[Segments.Count];
        var count = 0L;
        var batch = new WriteBatch();
        try
        {
            using (var it = db.NewIterator(db.GetColumnFamily(ObjectsFamily)))
            {
                for (it.SeekToFirst(); it.Valid(); it.Next())
                {
                    var key = it.Key();
                    var position = HashRing.KeyHash(key);
                    var hash = ObjectHash.Of(key, it.Value());
                    batch.Put(MerkleLayout.IndexKey(position, key), Array.Empty<byte>(), positions);
                    leaves[Segments.Of(position)] ^= hash;
                    if (++count % BuildBatch == 0)
                    {
                        db.Write(batch);
                        batch.Dispose();
                        batch = new WriteBatch();
                    }
                }
            }

            // The leaves and the marker land together, after every index entry: a crash before this
            // leaves no marker, and the next open builds again.
            for (var segment = 0; segment < leaves.Length; segment++)
            {
                if (leaves[segment] != 0)
                {
                    batch.Put(MerkleLayout.SegmentKey(segment), MerkleLayout.Hash(leaves[segment]), segments);
                }
            }

            batch.Put(formatKey, MerkleLayout.FormatValue, meta);
            db.Write(batch, SyncWrite);
        }
        finally
        {
            batch.Dispose();
        }

        LogTreeBuilt(logger, path, count, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        return count;
    }

    /// <summary>Loads the stored leaves into the in-memory tree.</summary>
    private void LoadTree()
    {
        using var it = _db.NewIterator(_segments, new ReadOptions().SetTotalOrderSeek(true));
        for (it.SeekToFirst(); it.Valid(); it.Next())
        {
            _tree.Set(MerkleLayout.SegmentOf(it.Key()), MerkleLayout.HashOf(it.Value()));
        }
    }

    /// <summary>After a batch that may or may not have landed, takes the touched leaves back from disk so memory and disk agree.</summary>
    private void ReloadLeaves(IEnumerable<int> segments)
    {
        foreach (var segment in segments)
        {
            var stored = _db.Get(MerkleLayout.SegmentKey(segment), _segments);
            _tree.Set(segment, stored is null ? 0 : MerkleLayout.HashOf(stored));
        }
    }

    /// <summary>The old and new hash of a key being rewritten by the writer: stages its index entry and its leaf's change.</summary>
    private void StageTree(WriteGroup group, byte[] key, KvObject? current, ulong currentHash, ulong hash)
    {
        if (current is not null && currentHash == hash)
        {
            return;
        }

        var position = HashRing.KeyHash(key);
        if (current is null)
        {
            // A new key: its place in the position index is written once, not on every update.
            group.Batch.Put(MerkleLayout.IndexKey(position, key), Array.Empty<byte>(), _positions);
        }

        var segment = Segments.Of(position);
        group.LeafChanges[segment] = group.LeafChanges.GetValueOrDefault(segment) ^ currentHash ^ hash;
    }

    /// <summary>Puts the new value of every leaf the group changed into its batch.</summary>
    private void StageLeaves(WriteGroup group)
    {
        foreach (var (segment, delta) in group.LeafChanges)
        {
            if (delta == 0)
            {
                continue;
            }

            var value = _tree.Leaf(segment) ^ delta;
            if (value == 0)
            {
                group.Batch.Delete(MerkleLayout.SegmentKey(segment), _segments);
            }
            else
            {
                group.Batch.Put(MerkleLayout.SegmentKey(segment), MerkleLayout.Hash(value), _segments);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Built the anti-entropy tree of {Path} from {Count} objects in {Millis:F0} ms")]
    private static partial void LogTreeBuilt(ILogger logger, string path, long count, double millis);

    [LoggerMessage(Level = LogLevel.Error, Message = "Could not reload the anti-entropy leaves after a failed batch; exchanges may repair more than needed until restart")]
    private static partial void LogLeavesReloadFailed(ILogger logger, Exception exception);
}
