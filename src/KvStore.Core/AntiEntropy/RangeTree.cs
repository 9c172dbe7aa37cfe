namespace KvStore.Core.AntiEntropy;

/// <summary>
/// The segment tree restricted to a set of ranges: a node's hash is the XOR over only those of its
/// keys whose ring position lies in the ranges. Two replicas share ranges, not whole segments (the
/// ring's tokens fall anywhere inside a segment), so an exchange compares this clipped tree; keys of
/// neighbouring ranges in a boundary segment, which the peer need not hold, never make it differ.
/// </summary>
/// <remarks>
/// A node wholly inside the ranges is read from the maintained tree; one wholly outside is zero;
/// only nodes that a range boundary crosses are recomputed from their children, and a boundary leaf
/// from a scan of its keys in range. Both sides of an exchange run this same code on the ranges the
/// initiator sent, so they agree on what each node covers.
/// </remarks>
public static class RangeTree
{
    /// <summary>The clipped hash of node <paramref name="index"/> at <paramref name="depth"/>.</summary>
    public static ulong Node(IMerkleSource source, HashRanges ranges, int depth, int index)
    {
        var span = Segments.Span(depth, index);
        switch (ranges.Cover(span))
        {
            case Coverage.None:
                return 0;
            case Coverage.Full:
                return source.NodeHash(depth, index);
        }

        var hash = 0UL;
        if (depth == Segments.LeafDepth)
        {
            foreach (var part in ranges.Clip(span))
            {
                hash ^= source.RangeHash(part);
            }

            return hash;
        }

        var first = index * Segments.FanOut;
        for (var child = first; child < first + Segments.FanOut; child++)
        {
            hash ^= Node(source, ranges, depth + 1, child);
        }

        return hash;
    }

    /// <summary>
    /// The clipped hashes of the children of each parent (nodes at <paramref name="depth"/> - 1), 16
    /// per parent in order; for depth 0, the root alone.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">A depth past the leaves, or a parent that does not exist.</exception>
    public static ulong[] Children(IMerkleSource source, HashRanges ranges, int depth, IReadOnlyList<int> parents)
    {
        if (depth == 0)
        {
            return [Node(source, ranges, 0, 0)];
        }

        var parentCount = Segments.NodesAt(depth - 1);
        var hashes = new ulong[parents.Count * Segments.FanOut];
        for (var p = 0; p < parents.Count; p++)
        {
            ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual((uint)parents[p], (uint)parentCount, nameof(parents));
            for (var c = 0; c < Segments.FanOut; c++)
            {
                hashes[(p * Segments.FanOut) + c] = Node(source, ranges, depth, (parents[p] * Segments.FanOut) + c);
            }
        }

        return hashes;
    }

    /// <summary>
    /// The keys in the given leaf segments (ascending) and inside the ranges, in (position, key)
    /// order, from just after <paramref name="after"/>, at most <paramref name="max"/>;
    /// <paramref name="more"/> says whether the listing stopped at the bound.
    /// </summary>
    public static List<KeyHash> ListKeys(IMerkleSource source, HashRanges ranges, IReadOnlyList<int> segments, byte[]? after, int max, out bool more)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(max);
        var result = new List<KeyHash>();
        var afterPosition = after is null ? 0 : Ring.HashRing.KeyHash(after);
        more = false;
        foreach (var segment in segments)
        {
            foreach (var part in ranges.Clip(Segments.Span(Segments.LeafDepth, segment)))
            {
                if (after is not null && part.Last < afterPosition)
                {
                    continue;
                }

                // Resume inside the interval that holds the cursor; every later one starts afresh.
                var from = after is not null && part.Contains(afterPosition) ? after : null;
                var page = source.ListKeyHashes(part, from, (int)Math.Min(int.MaxValue, (long)max - result.Count + 1));
                foreach (var entry in page)
                {
                    if (result.Count == max)
                    {
                        more = true;
                        return result;
                    }

                    result.Add(entry);
                }
            }
        }

        return result;
    }
}
