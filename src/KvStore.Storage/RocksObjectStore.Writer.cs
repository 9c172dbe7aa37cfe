using KvStore.Core.AntiEntropy;
using KvStore.Core.Crdt;
using KvStore.Core.Serialization;

namespace KvStore.Storage;

public sealed partial class RocksObjectStore
{
    private void WriterLoop()
    {
        var items = new List<WriteItem>(_maxBatch);
        var reader = _queue.Reader;
        while (reader.WaitToReadAsync().AsTask().GetAwaiter().GetResult())
        {
            // At least one item, however many keys it writes; then items while the group has room.
            var keys = 0;
            while (keys < _maxBatch && reader.TryRead(out var item))
            {
                items.Add(item);
                keys += item.Keys;
            }

            try
            {
                CommitGroup(items);
            }
            catch (Exception e)
            {
                // Nothing may end this thread: fail the whole group and keep serving.
                LogBatchFailed(_logger, items.Count, e);
                var failure = new StorageException($"write failed: {e.Message}", e);
                foreach (var item in items)
                {
                    item.Fail(failure);
                }
            }

            items.Clear();
        }
    }

    /// <summary>
    /// Runs each item of the group against the latest state of its key, writes the batch once, then
    /// publishes the new hint counts and reports every outcome. Objects and hints share the batch, so
    /// a group commit lands both or neither.
    /// </summary>
    private void CommitGroup(List<WriteItem> items)
    {
        using var group = new WriteGroup(_hintCounts);
        foreach (var item in items)
        {
            if (item.CancellationToken.IsCancellationRequested)
            {
                item.Cancel();
                continue;
            }

            try
            {
                switch (item)
                {
                    case PendingUpdate update:
                        StageUpdate(update, group);
                        break;
                    case PendingUpdates updates:
                        StageUpdates(updates, group);
                        break;
                    case PendingHint hint:
                        StageHint(hint, group);
                        break;
                    case PendingHintDelete delete:
                        StageHintDelete(delete, group);
                        break;
                    case PendingCollect collect:
                        StageCollect(collect, group);
                        break;
                }
            }
            catch (Exception e)
            {
                // A failed item (refused, or a stored object that cannot be read) fails only its own call.
                item.Fail(e);
            }
        }

        if (group.Operations > 0)
        {
            int loggedDeltas;
            try
            {
                loggedDeltas = StageLeaves(group);
                _db.Write(group.Batch, _writeOptions);
            }
            catch
            {
                // Whether any of it landed is unknown: forget what the cache held for these keys,
                // and take the leaves back from disk, whichever way it went.
                foreach (var key in group.Objects.Keys)
                {
                    _recent.Remove(key);
                }

                try
                {
                    LoadTree();
                }
                catch (Exception e)
                {
                    _treeUncertain = true;
                    LogLeavesReloadFailed(_logger, e);
                }

                throw;
            }

            foreach (var (segment, delta) in group.LeafChanges)
            {
                _tree.Xor(segment, delta);
            }

            Interlocked.Add(ref _treeLogDeltas, loggedDeltas);

            foreach (var (key, (obj, encoded, hash)) in group.Objects)
            {
                if (obj is null)
                {
                    _recent.Remove(key);
                }
                else
                {
                    _recent.Set(key, encoded, hash);
                }
            }

            Volatile.Write(ref _hintCounts, group.HintCounts);
            Stats.RecordBatch(group.ObjectWrites, group.Operations);
        }

        // Counted even when nothing was written: a hint that merged to what was already held is stored.
        Stats.RecordHints(group.HintsStored, group.HintsDeleted);

        foreach (var item in items)
        {
            if (item.Ran)
            {
                item.Complete();
            }
        }

        // After the group's callers are answered, so that none of them waits for it.
        CheckpointTreeIfDue();
    }

    private void StageUpdate(PendingUpdate item, WriteGroup group)
    {
        var current = CurrentOf(item.Key, group, out var currentHash);
        item.SetResult(StageObject(group, item.Key, current, currentHash, item.Update(current)));
    }

    private void StageUpdates(PendingUpdates item, WriteGroup group)
    {
        var outcomes = new UpdateOutcome[item.UpdatedKeys.Count];
        for (var i = 0; i < outcomes.Length; i++)
        {
            try
            {
                var key = item.UpdatedKeys[i];
                var current = CurrentOf(key, group, out var currentHash);
                outcomes[i] = new UpdateOutcome(StageObject(group, key, current, currentHash, item.Update(i, current)), null);
            }
            catch (Exception e)
            {
                // A refused key (or one whose stored object cannot be read) fails on its own.
                outcomes[i] = new UpdateOutcome(null, e);
            }
        }

        item.SetResult(outcomes);
    }

    /// <summary>Stages a key's new object, if there is one, and returns what the key holds afterwards.</summary>
    private KvObject? StageObject(WriteGroup group, byte[] key, KvObject? current, ulong currentHash, KvObject? next)
    {
        if (next is null)
        {
            return current;
        }

        var encoded = CheckedEncode(next);
        var hash = ObjectHash.Of(key, encoded);
        group.Batch.Put(key, encoded, _objects);
        StageTree(group, key, current, currentHash, hash);
        StageTombstoneIndex(group, key, current, next);
        group.Objects[key] = (next, encoded, hash);
        group.ObjectWrites++;
        group.Operations++;
        return next;
    }

    /// <summary>
    /// The latest state of a key as the writer sees it (staged by this group, cached, or stored),
    /// with its <see cref="ObjectHash"/> (zero when absent), which takes it out of its leaf.
    /// </summary>
    private KvObject? CurrentOf(byte[] key, WriteGroup group, out ulong hash)
    {
        if (group.Objects.TryGetValue(key, out var staged))
        {
            hash = staged.Hash;
            return staged.Object;
        }

        if (_recent.TryGet(key, out var cached, out hash))
        {
            return ObjectCodec.Decode(cached);
        }

        var stored = _db.Get(key, _objects);
        hash = stored is null ? 0 : ObjectHash.Of(key, stored);
        return stored is null ? null : ObjectCodec.Decode(stored);
    }

    /// <summary>Encodes an object, refusing one past Storage:MaxObjectBytes.</summary>
    private byte[] CheckedEncode(KvObject obj)
    {
        var bytes = ObjectCodec.Encode(obj);
        if (bytes.Length > _maxObjectBytes)
        {
            throw new MutationRejectedException(RejectReason.LimitExceeded,
                $"the key's object would be {bytes.Length} bytes; the limit is {_maxObjectBytes} (Storage:MaxObjectBytes)");
        }

        return bytes;
    }
}
