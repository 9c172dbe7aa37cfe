using System.Buffers.Binary;
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
/// tree is also held in memory (<see cref="SegmentLeaves"/>), published after each batch is written;
/// on disk it is a checkpoint of the leaves and a log of the changes since (<see cref="MerkleLayout"/>).
/// </summary>
public sealed partial class RocksObjectStore : IMerkleSource
{
    /// <summary>Objects indexed by the open-time build per write batch.</summary>
    private const int BuildBatch = 4096;

    private readonly SegmentLeaves _tree = new();

    /// <summary>The last sequence number given to a log record (or to the checkpoint); the writer's alone.</summary>
    private long _treeSequence;

    /// <summary>
    /// Set when a failed batch was followed by a failed reload: the in-memory tree may then differ
    /// from the disk, and a checkpoint of it would make the difference permanent.
    /// </summary>
    private bool _treeUncertain;

    /// <summary>Leaf deltas in the log since the checkpoint: what an open replays.</summary>
    private long _treeLogDeltas;

    /// <summary>Leaf deltas logged since the checkpoint, which a reopening would replay.</summary>
    internal long TreeLogDeltas => Interlocked.Read(ref _treeLogDeltas);

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
        foreach (var name in new[] { MerkleLayout.PositionsFamily, MerkleLayout.SegmentsFamily, MerkleLayout.TreeLogFamily })
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
            StagePages(batch, segments, leaves);
            batch.Put(MerkleLayout.CheckpointKey, MerkleLayout.SequenceKey(0), meta);
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

    /// <summary>
    /// Sets the in-memory tree to what is stored: the checkpointed pages, then every logged delta
    /// past the checkpoint. Also what the writer goes back to after a batch that may not have landed.
    /// </summary>
    private void LoadTree()
    {
        var leaves = new ulong[Segments.Count];
        using (var pages = _db.NewIterator(_segments, new ReadOptions().SetTotalOrderSeek(true)))
        {
            for (pages.SeekToFirst(); pages.Valid(); pages.Next())
            {
                var page = MerkleLayout.PageOf(pages.Key());
                var value = pages.Value();
                if (page is < 0 or >= MerkleLayout.Pages || value.Length != MerkleLayout.LeavesPerPage * 8)
                {
                    throw new StorageException($"the anti-entropy tree's page {page} is damaged ({value.Length} bytes)");
                }

                for (var i = 0; i < MerkleLayout.LeavesPerPage; i++)
                {
                    leaves[(page * MerkleLayout.LeavesPerPage) + i] = BinaryPrimitives.ReadUInt64LittleEndian(value.AsSpan(i * 8));
                }
            }
        }

        var checkpoint = _db.Get(MerkleLayout.CheckpointKey, _meta) is { Length: 8 } stored ? MerkleLayout.SequenceOf(stored) : 0;
        var sequence = checkpoint;
        var deltas = 0L;
        using (var log = _db.NewIterator(_treeLog))
        {
            for (log.SeekToFirst(); log.Valid(); log.Next())
            {
                var recordSequence = MerkleLayout.SequenceOf(log.Key());
                sequence = Math.Max(sequence, recordSequence);
                if (recordSequence <= checkpoint)
                {
                    continue;
                }

                var record = log.Value();
                for (var at = 0; at + MerkleLayout.LogEntryBytes <= record.Length; at += MerkleLayout.LogEntryBytes)
                {
                    var segment = BinaryPrimitives.ReadInt32LittleEndian(record.AsSpan(at));
                    if (segment is < 0 or >= Segments.Count)
                    {
                        throw new StorageException($"the anti-entropy tree's log record {recordSequence} is damaged (segment {segment})");
                    }

                    leaves[segment] ^= BinaryPrimitives.ReadUInt64LittleEndian(record.AsSpan(at + 4));
                    deltas++;
                }
            }
        }

        for (var segment = 0; segment < leaves.Length; segment++)
        {
            _tree.Set(segment, leaves[segment]);
        }

        // Never back: after a failed batch whose record may still reach the disk, its number stays used.
        _treeSequence = Math.Max(_treeSequence, sequence);
        Interlocked.Exchange(ref _treeLogDeltas, deltas);
        _treeUncertain = false;
    }

    /// <summary>Puts the pages of <paramref name="leaves"/> into a batch, deleting the all-zero ones.</summary>
    private static void StagePages(WriteBatch batch, ColumnFamilyHandle segments, ReadOnlySpan<ulong> leaves)
    {
        var page = new byte[MerkleLayout.LeavesPerPage * 8];
        for (var p = 0; p < MerkleLayout.Pages; p++)
        {
            var empty = true;
            for (var i = 0; i < MerkleLayout.LeavesPerPage; i++)
            {
                var leaf = leaves[(p * MerkleLayout.LeavesPerPage) + i];
                BinaryPrimitives.WriteUInt64LittleEndian(page.AsSpan(i * 8), leaf);
                empty &= leaf == 0;
            }

            if (empty)
            {
                batch.Delete(MerkleLayout.PageKey(p), segments);
            }
            else
            {
                batch.Put(MerkleLayout.PageKey(p), page, segments);
            }
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

    /// <summary>Puts one log record of the group's leaf changes into its batch; returns the deltas it holds.</summary>
    private int StageLeaves(WriteGroup group)
    {
        var record = new byte[group.LeafChanges.Count * MerkleLayout.LogEntryBytes];
        var length = 0;
        foreach (var (segment, delta) in group.LeafChanges)
        {
            if (delta != 0)
            {
                BinaryPrimitives.WriteInt32LittleEndian(record.AsSpan(length), segment);
                BinaryPrimitives.WriteUInt64LittleEndian(record.AsSpan(length + 4), delta);
                length += MerkleLayout.LogEntryBytes;
            }
        }

        if (length > 0)
        {
            group.Batch.Put(MerkleLayout.SequenceKey(++_treeSequence), record.AsSpan(0, length), _treeLog);
        }

        return length / MerkleLayout.LogEntryBytes;
    }

    /// <summary>
    /// Once the log holds <see cref="StorageOptions.TreeCheckpointDeltas"/> deltas, writes every page
    /// of the (current) in-memory tree and deletes the log up to here, in one batch. Called by the
    /// writer between groups. A failure leaves the log as it was, to be tried again after the next group.
    /// </summary>
    private void CheckpointTreeIfDue()
    {
        if (Interlocked.Read(ref _treeLogDeltas) < _treeCheckpointDeltas)
        {
            return;
        }

        if (_treeUncertain)
        {
            try
            {
                LoadTree();
            }
            catch (Exception e)
            {
                LogCheckpointFailed(_logger, e);
                return;
            }
        }

        var leaves = new ulong[Segments.Count];
        for (var segment = 0; segment < leaves.Length; segment++)
        {
            leaves[segment] = _tree.Leaf(segment);
        }

        var sequence = ++_treeSequence;
        try
        {
            using var batch = new WriteBatch();
            StagePages(batch, _segments, leaves);
            batch.Put(MerkleLayout.CheckpointKey, MerkleLayout.SequenceKey(sequence), _meta);
            batch.DeleteRange(MerkleLayout.SequenceKey(0), 8, MerkleLayout.SequenceKey(sequence + 1), 8, _treeLog);
            _db.Write(batch, _writeOptions);
            Interlocked.Exchange(ref _treeLogDeltas, 0);
        }
        catch (Exception e)
        {
            LogCheckpointFailed(_logger, e);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not checkpoint the anti-entropy tree; its log grows until the next attempt")]
    private static partial void LogCheckpointFailed(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Information, Message = "Built the anti-entropy tree of {Path} from {Count} objects in {Millis:F0} ms")]
    private static partial void LogTreeBuilt(ILogger logger, string path, long count, double millis);

    [LoggerMessage(Level = LogLevel.Error, Message = "Could not reload the anti-entropy leaves after a failed batch; exchanges may repair more than needed, and the tree is not checkpointed, until a reload succeeds")]
    private static partial void LogLeavesReloadFailed(ILogger logger, Exception exception);
}
