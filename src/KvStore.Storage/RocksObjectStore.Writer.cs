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

            using (var batch = new WriteBatch())
            {
                var puts = 0;
                foreach (var item in group)
                {
                    if (item.CancellationToken.IsCancellationRequested)
                    {
                        item.Completion.TrySetCanceled(item.CancellationToken);
                        continue;
                    }

                    if (!latest.TryGetValue(item.Key, out var current))
                    {
                        var bytes = _db.Get(item.Key, _objects);
                        current = bytes is null ? null : ObjectCodec.Decode(bytes);
                    }

                    KvObject? next;
                    try
                    {
                        next = item.Update(current);
                    }
                    catch (Exception e)
                    {
                        item.Completion.TrySetException(e);
                        continue;
                    }

                    item.Ran = true;
                    item.Result = next ?? current;
                    if (next is not null)
                    {
                        batch.Put(item.Key, ObjectCodec.Encode(next), _objects);
                        latest[item.Key] = next;
                        puts++;
                    }
                }

                Exception? failure = null;
                try
                {
                    if (puts > 0)
                    {
                        _db.Write(batch, _writeOptions);
                        Stats.RecordBatch(puts);
                    }
                }
                catch (Exception e)
                {
                    LogBatchFailed(_logger, puts, e);
                    failure = new StorageException($"write failed: {e.Message}", e);
                }

                foreach (var item in group)
                {
                    if (!item.Ran)
                    {
                        continue;
                    }

                    if (failure is null)
                    {
                        item.Completion.TrySetResult(item.Result);
                    }
                    else
                    {
                        item.Completion.TrySetException(failure);
                    }
                }
            }

            group.Clear();
            latest.Clear();
        }
    }
}
