using KvStore.Core.Crdt;

namespace KvStore.Storage;

public sealed partial class RocksObjectStore
{
    /// <summary>Work waiting for the writer thread, and how its caller is told the outcome.</summary>
    private abstract class WriteItem(CancellationToken cancellationToken)
    {
        public CancellationToken CancellationToken { get; } = cancellationToken;

        /// <summary>Keys the item writes, which count towards the group's <see cref="StorageOptions.MaxBatchSize"/>.</summary>
        public virtual int Keys => 1;

        /// <summary>True once the item ran without throwing; its outcome is reported after the batch is written.</summary>
        public bool Ran { get; protected set; }

        public abstract void Fail(Exception exception);

        public abstract void Cancel();

        /// <summary>Reports the outcome of an item that ran; called only after its batch reached the WAL.</summary>
        public abstract void Complete();
    }

    private abstract class WriteItem<TResult>(CancellationToken cancellationToken) : WriteItem(cancellationToken)
    {
        private TResult _result = default!;

        public TaskCompletionSource<TResult> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public void SetResult(TResult result)
        {
            _result = result;
            Ran = true;
        }

        public override void Fail(Exception exception) => Completion.TrySetException(exception);

        public override void Cancel() => Completion.TrySetCanceled(CancellationToken);

        public override void Complete() => Completion.TrySetResult(_result);
    }

    /// <summary>A read-modify-write of one object; the result is the object stored afterwards.</summary>
    private sealed class PendingUpdate(byte[] key, Func<KvObject?, KvObject?> update, CancellationToken cancellationToken)
        : WriteItem<KvObject?>(cancellationToken)
    {
        public byte[] Key { get; } = key;

        public Func<KvObject?, KvObject?> Update { get; } = update;
    }

    /// <summary>Read-modify-writes of many keys, staged in one group; the result has each key's outcome.</summary>
    private sealed class PendingUpdates(IReadOnlyList<byte[]> keys, Func<int, KvObject?, KvObject?> update, CancellationToken cancellationToken)
        : WriteItem<UpdateOutcome[]>(cancellationToken)
    {
        public IReadOnlyList<byte[]> UpdatedKeys { get; } = keys;

        public override int Keys => UpdatedKeys.Count;

        public Func<int, KvObject?, KvObject?> Update { get; } = update;
    }

    /// <summary>A hint to merge into the one held for its (target, key); the result says whether it was accepted.</summary>
    private sealed class PendingHint(string target, byte[] hintKey, KvObject obj, CancellationToken cancellationToken)
        : WriteItem<bool>(cancellationToken)
    {
        public string Target { get; } = target;

        /// <summary>The encoded RocksDB key (<see cref="HintKey"/>).</summary>
        public byte[] HintKey { get; } = hintKey;

        public KvObject Object { get; } = obj;
    }

    /// <summary>A delete of a delivered hint, if it is unchanged; the result says whether it was deleted.</summary>
    private sealed class PendingHintDelete(string target, byte[] hintKey, KvObject delivered, CancellationToken cancellationToken)
        : WriteItem<bool>(cancellationToken)
    {
        public string Target { get; } = target;

        public byte[] HintKey { get; } = hintKey;

        public KvObject Delivered { get; } = delivered;
    }
}
