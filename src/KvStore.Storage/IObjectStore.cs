using KvStore.Core.Causality;
using KvStore.Core.Crdt;

namespace KvStore.Storage;

/// <summary>
/// A replica's durable map from key to object. Updates of one key are atomic read-modify-writes:
/// concurrent updates of the same key never lose each other.
/// </summary>
public interface IObjectStore : IAsyncDisposable
{
    /// <summary>This storage incarnation's actor id: the node id and the epoch minted with the data directory.</summary>
    ActorId Actor { get; }

    /// <summary>The stored object, or null.</summary>
    KvObject? Get(ReadOnlySpan<byte> key);

    /// <summary>
    /// Runs <paramref name="update"/> on the stored object (null when absent) and stores what it
    /// returns, unless it returns null. The returned task completes once the result is durable as
    /// configured. An exception thrown by <paramref name="update"/> fails only this call.
    /// </summary>
    /// <returns>The object now stored (the old one when <paramref name="update"/> returned null).</returns>
    Task<KvObject?> UpdateAsync(byte[] key, Func<KvObject?, KvObject?> update, CancellationToken cancellationToken = default);

    /// <summary>
    /// Runs <paramref name="update"/> (given each key's index and stored object) on every key of
    /// <paramref name="keys"/>, as <see cref="UpdateAsync"/> does for one, in one go: a store that
    /// commits in groups commits them together. Each key succeeds or fails on its own; an
    /// exception thrown by <paramref name="update"/> for one key is that key's outcome. The task
    /// fails as a whole only when nothing could be written (the write itself failed, or it was cancelled).
    /// </summary>
    /// <returns>Per key, in order, the object now stored or the exception that refused it.</returns>
    async Task<UpdateOutcome[]> UpdateManyAsync(IReadOnlyList<byte[]> keys, Func<int, KvObject?, KvObject?> update, CancellationToken cancellationToken = default)
    {
        var outcomes = new UpdateOutcome[keys.Count];
        for (var i = 0; i < keys.Count; i++)
        {
            var index = i;
            try
            {
                outcomes[i] = new UpdateOutcome(await UpdateAsync(keys[i], current => update(index, current), cancellationToken), null);
            }
            catch (Exception e) when (e is not OperationCanceledException and not ObjectDisposedException and not StorageException)
            {
                outcomes[i] = new UpdateOutcome(null, e);
            }
        }

        return outcomes;
    }

    /// <summary>
    /// Removes the key, with its anti-entropy hash, only if the stored object still equals
    /// <paramref name="tombstone"/>: a write that landed since the caller looked wins. Atomic with
    /// the store's other writes, and durable as configured before the task completes.
    /// </summary>
    /// <returns>True if the key was removed.</returns>
    /// <exception cref="ArgumentException"><paramref name="tombstone"/> holds live data.</exception>
    Task<bool> CollectAsync(byte[] key, KvObject tombstone, CancellationToken cancellationToken = default);

    /// <summary>
    /// Up to <paramref name="max"/> keys whose object is a tombstone, in key order (unsigned bytes),
    /// starting after <paramref name="after"/> (null for the start), so a collector pages through them.
    /// </summary>
    IReadOnlyList<byte[]> ListTombstones(byte[]? after, int max);

    /// <summary>
    /// The highest counter of <see cref="Actor"/> in any object this store collected: a key created
    /// again after its collection starts counting above it, so no dot is minted twice.
    /// </summary>
    ulong CollectedCounter { get; }

    /// <summary>True while the store is open and its writer is running.</summary>
    bool IsHealthy { get; }

    /// <summary>Counters for the metrics endpoint.</summary>
    StorageStats Stats { get; }
}

/// <summary>One key's outcome in <see cref="IObjectStore.UpdateManyAsync"/>: the object now stored (null when the key is still absent), or why the update was refused.</summary>
public readonly record struct UpdateOutcome(KvObject? Object, Exception? Error);
