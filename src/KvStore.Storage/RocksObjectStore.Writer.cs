using KvStore.Core.Crdt;
using KvStore.Core.Serialization;
using RocksDbSharp;

namespace KvStore.Storage;

public sealed partial class RocksObjectStore
{
    /// <summary>An update waiting for the writer, and how its caller is told the outcome.</summary>
    private sealed class PendingUpdate(byte[] key, Func<KvObject?, KvObject?> update, CancellationToken cancellationToken)
    {
        public byte[] Key { get; } = key;

        public Func<KvObject?, KvObject?> Update { get; } = update;

        public CancellationToken CancellationToken { get; } = cancellationToken;

        public TaskCompletionSource<KvObject?> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        /// <summary>The object after the update, set once the update ran without throwing.</summary>
        public KvObject? Result { get; set; }

        public bool Ran { get; set; }
    }

    private void WriterLoop()
    {
        var group = new List<PendingUpdate>(_maxBatch);
        var latest = new Dictionary<byte[], KvObject?>(ByteOrder.Instance);
        var reader = _queue.Reader;
        while (reader.WaitToReadAsync().AsTask().GetAwaiter().GetResult())
        {
            while (group.Count < _maxBatch && reader.TryRead(out var item))
            {
                group.Add(item);
            }

            try
            {
                CommitGroup(group, latest);
            }
            catch (Exception e)
            {
                // Nothing may end this thread: fail the whole group and keep serving.
                LogBatchFailed(_logger, group.Count, e);
                var failure = new StorageException($"write failed: {e.Message}", e);
                foreach (var item in group)
                {
                    item.Completion.TrySetException(failure);
                }
            }

            group.Clear();
            latest.Clear();
        }
    }

    /// <summary>Runs each update of the group against the latest state of its key, then writes the batch once.</summary>
    private void CommitGroup(List<PendingUpdate> group, Dictionary<byte[], KvObject?> latest)
    {
        using var batch = new WriteBatch();
        var puts = 0;
        foreach (var item in group)
        {
            if (item.CancellationToken.IsCancellationRequested)
            {
                item.Completion.TrySetCanceled(item.CancellationToken);
                continue;
            }

            try
            {
                if (!latest.TryGetValue(item.Key, out var current))
                {
                    var stored = _db.Get(item.Key, _objects);
                    current = stored is null ? null : ObjectCodec.Decode(stored);
                }

                var next = item.Update(current);
                if (next is not null)
                {
                    var bytes = ObjectCodec.Encode(next);
                    if (bytes.Length > _maxObjectBytes)
                    {
                        throw new MutationRejectedException(RejectReason.LimitExceeded,
                            $"the key's object would be {bytes.Length} bytes; the limit is {_maxObjectBytes} (Storage:MaxObjectBytes)");
                    }

                    batch.Put(item.Key, bytes, _objects);
                    latest[item.Key] = next;
                    puts++;
                }

                item.Result = next ?? current;
                item.Ran = true;
            }
            catch (Exception e)
            {
                // A failed update (refused, or a stored object that cannot be read) fails only its own call.
                item.Completion.TrySetException(e);
            }
        }

        if (puts > 0)
        {
            _db.Write(batch, _writeOptions);
            Stats.RecordBatch(puts);
        }

        foreach (var item in group)
        {
            if (item.Ran)
            {
                item.Completion.TrySetResult(item.Result);
            }
        }
    }
}

