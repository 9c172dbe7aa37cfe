using KvStore.Core.Crdt;

namespace KvStore.Storage;

/// <summary>A write held for a replica that could not take it: the merged object for one (target, key).</summary>
/// <param name="Target">The node id of the replica the write was meant for.</param>
/// <param name="Key">The key.</param>
/// <param name="Object">Everything hinted for this key so far, merged.</param>
public sealed record Hint(string Target, byte[] Key, KvObject Object);

/// <summary>
/// Durable hinted handoff (Dynamo, section 4.6): a fallback node keeps writes meant for a replica
/// that is down and replays them when it is back. One merged hint per (target, key) rather than a
/// log of writes, so a hot key costs one entry however often it is written, and a replay sends
/// one object.
/// </summary>
public interface IHintStore
{
    /// <summary>
    /// Stores <paramref name="obj"/> as a hint for <paramref name="target"/>, merged with any hint
    /// already held for the key. Durable (WAL, and fsync when Storage:Sync) before the task completes.
    /// </summary>
    /// <returns>
    /// False when the target already has Storage:MaxHintsPerTarget hints and none for this key: a
    /// new key is refused, a merge into an existing hint never is. Anti-entropy repairs what was refused.
    /// </returns>
    /// <exception cref="ArgumentException">The target is empty or longer than 255 UTF-8 bytes.</exception>
    /// <exception cref="MutationRejectedException">The held hint has another type, or the merge passes Storage:MaxObjectBytes.</exception>
    Task<bool> AddHintAsync(string target, byte[] key, KvObject obj, CancellationToken cancellationToken = default);

    /// <summary>
    /// Up to <paramref name="max"/> hints for the target in key order (unsigned bytes), starting
    /// after <paramref name="afterKey"/> (null for the start), so a replayer can page through them.
    /// </summary>
    IReadOnlyList<Hint> ReadHints(string target, int max, byte[]? afterKey = null);

    /// <summary>
    /// Deletes the hint only if it still equals <paramref name="delivered"/>: a hint that merged a
    /// newer write after it was read stays, so the replayer delivers it again rather than losing it.
    /// </summary>
    /// <returns>True if the hint was deleted.</returns>
    Task<bool> DeleteHintAsync(string target, byte[] key, KvObject delivered, CancellationToken cancellationToken = default);

    /// <summary>Targets with pending hints and how many each has; kept in memory, so cheap to read.</summary>
    IReadOnlyDictionary<string, int> HintCounts { get; }

    /// <summary>Every pending hint for one key, across targets, up to <paramref name="max"/>; for the debug view.</summary>
    IReadOnlyList<Hint> HintsForKey(ReadOnlySpan<byte> key, int max = 64);
}
