using KvStore.Core.Membership;

namespace KvStore.Cluster.Tombstones;

/// <summary>How a node back from a long absence asks a peer when it last took part in a tombstone collection.</summary>
/// <remarks>A call that cannot reach the target or times out throws <see cref="Replication.PeerUnreachableException"/>.</remarks>
public interface ICollectionTransport
{
    /// <summary>The latest collection <paramref name="target"/> took part in, or null if it never collected.</summary>
    Task<DateTimeOffset?> LastCollectionAsync(Member target, CancellationToken cancellationToken);
}
