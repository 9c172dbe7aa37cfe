namespace KvStore.Core.AntiEntropy;

/// <summary>
/// A replica's hash tree as anti-entropy reads it: inner nodes and leaves over the fixed
/// <see cref="Segments"/>, and the keys with their hashes in ring order. The store maintains it on
/// its write path; <see cref="RangeTree"/> clips it to the ranges two replicas share.
/// </summary>
public interface IMerkleSource
{
    /// <summary>XOR of the <see cref="ObjectHash"/> of every key under node <paramref name="index"/> at <paramref name="depth"/> (<see cref="Segments.Span"/>).</summary>
    ulong NodeHash(int depth, int index);

    /// <summary>XOR of the <see cref="ObjectHash"/> of every key whose ring position lies in <paramref name="interval"/>.</summary>
    ulong RangeHash(HashInterval interval);

    /// <summary>
    /// Keys whose ring position lies in <paramref name="interval"/>, ordered by (position, key), from
    /// just after <paramref name="after"/> (a key; null to start at the beginning), at most <paramref name="max"/>.
    /// </summary>
    IReadOnlyList<KeyHash> ListKeyHashes(HashInterval interval, byte[]? after, int max);
}
