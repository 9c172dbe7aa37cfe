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
