using KvStore.Core.AntiEntropy;
using KvStore.Core.Membership;

namespace KvStore.Cluster.AntiEntropy;

/// <summary>
/// What an exchange asks of the peer's tree; objects themselves move with
/// <see cref="Replication.IPeerTransport"/>'s read and merge. Failures throw as
/// <see cref="Replication.IPeerTransport"/> documents.
/// </summary>
public interface IAntiEntropyTransport
{
    /// <summary>The peer's <see cref="RangeTree.Children"/> for the ranges: 16 hashes per parent, or the root alone at depth 0.</summary>
    Task<ulong[]> TreeNodesAsync(Member target, HashRanges ranges, int depth, IReadOnlyList<int> parents, CancellationToken cancellationToken);

    /// <summary>The peer's <see cref="RangeTree.ListKeys"/> for the ranges and segments: a page of (key, hash), and whether more follow.</summary>
    Task<KeyHashPage> KeyHashesAsync(Member target, HashRanges ranges, IReadOnlyList<int> segments, byte[]? after, int max, CancellationToken cancellationToken);
}

/// <summary>One page of a peer's key listing.</summary>
public sealed record KeyHashPage(IReadOnlyList<(byte[] Key, ulong Hash)> Entries, bool More);
