using KvStore.Core.Crdt;
using KvStore.Core.Membership;

namespace KvStore.Cluster.Tombstones;

/// <summary>A key and the tombstone the collector holds for it.</summary>
public sealed record KeyTombstone(byte[] Key, KvObject Tombstone);

/// <summary>
/// One node's answer about one key: whether its stored object equals the collector's tombstone,
/// whether it holds a hint for the key (for any target), for a collect request whether it removed
/// the key, and whether it stores any object for the key (a node outside the key's preference list
/// may keep a stray copy from before the ring changed).
/// </summary>
public readonly record struct TombstoneState(bool Holds, bool Hinted, bool Collected, bool Present);

/// <summary>How the collector reaches other nodes; the server implements it over the peer service, tests in memory.</summary>
/// <remarks>A call that cannot reach the target or times out throws <see cref="Replication.PeerUnreachableException"/>.</remarks>
public interface ITombstoneTransport
{
    /// <summary>
    /// Asks <paramref name="target"/> about each key (<paramref name="collect"/> false), or has it
    /// remove each key that still holds exactly the given tombstone and has no hint there (true).
    /// The answer holds one state per entry, in order.
    /// </summary>
    Task<IReadOnlyList<TombstoneState>> TombstonesAsync(Member target, bool collect, IReadOnlyList<KeyTombstone> entries, CancellationToken cancellationToken);
}
