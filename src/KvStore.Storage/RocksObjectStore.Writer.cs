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
            while (items.Count < _maxBatch && reader.TryRead(out var item))
            {
                items.Add(item);
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
                    case PendingHint hint:
                        StageHint(hint, group);
                        break;
                    case PendingHintDelete delete:
                        StageHintDelete(delete, group);
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
            try
            {
                _db.Write(group.Batch, _writeOptions);
            }
            catch
            {
                // Whether any of it landed is unknown: forget what the cache held for these keys.
                foreach (var key in group.Objects.Keys)
                {
                    _recent.Remove(key);
                }

                throw;
            }

            foreach (var (key, (obj, bytes)) in group.Objects)
            {
                _recent.Set(key, obj, bytes);
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
    }

    private void StageUpdate(PendingUpdate item, WriteGroup group)
    {
        KvObject? current;
        if (group.Objects.TryGetValue(item.Key, out var staged))
        {
            current = staged.Object;
        }
        else if (!_recent.TryGet(item.Key, out current))
        {
            var stored = _db.Get(item.Key, _objects);
            current = stored is null ? null : ObjectCodec.Decode(stored);
        }

        var next = item.Update(current);
        if (next is not null)
        {
            var encoded = CheckedEncode(next);
            group.Batch.Put(item.Key, encoded, _objects);
            group.Objects[item.Key] = (next, encoded.Length);
            group.ObjectWrites++;
            group.Operations++;
        }

        item.SetResult(next ?? current);
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
