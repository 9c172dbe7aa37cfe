using KvStore.Cluster.Replication;
using KvStore.Core.AntiEntropy;

namespace KvStore.Cluster.AntiEntropy;

/// <summary>
/// This node's answers to a peer's exchange: its tree clipped to the ranges the peer names, and its
/// keys in the segments the peer found to differ. Read-only; the repairs that follow arrive as
/// ordinary merges. The gRPC peer service and the tests' in-memory transport both call this.
/// </summary>
public sealed class AntiEntropyHandler(IMerkleSource tree)
{
    /// <summary>Intervals one request may name: far more than any two nodes share (about two per token).</summary>
    public const int MaxIntervals = 1 << 16;

    /// <summary>Segments one listing request may name.</summary>
    public const int MaxSegmentsPerListing = 4096;

    /// <summary>Entries one listing page holds at most.</summary>
    public const int MaxEntriesPerPage = 4096;

    /// <summary>Key bytes one listing page holds at most, so a page of long keys stays a small message.</summary>
    public const int MaxPageKeyBytes = 1 << 20;

    /// <exception cref="RequestRejectedException">The depth, parents or ranges are out of bounds.</exception>
    public ulong[] TreeNodes(HashRanges ranges, int depth, IReadOnlyList<int> parents)
    {
        CheckRanges(ranges);
        if (depth is < 0 or > Segments.LeafDepth)
        {
            throw new RequestRejectedException($"tree depth {depth} is not between 0 and {Segments.LeafDepth}");
        }

        if (depth == 0 ? parents.Count != 0 : parents.Count > Segments.NodesAt(depth - 1))
        {
            throw new RequestRejectedException($"{parents.Count} parents asked for at depth {depth}");
        }

        try
        {
            return RangeTree.Children(tree, ranges, depth, parents);
        }
        catch (ArgumentOutOfRangeException e)
        {
            throw new RequestRejectedException($"a parent does not exist at depth {depth - 1}: {e.Message}");
        }
    }

    /// <exception cref="RequestRejectedException">The segments, bound or ranges are out of bounds.</exception>
    public KeyHashPage KeyHashes(HashRanges ranges, IReadOnlyList<int> segments, byte[]? after, int max)
    {
        CheckRanges(ranges);
        if (segments.Count > MaxSegmentsPerListing)
        {
            throw new RequestRejectedException($"{segments.Count} segments asked for; at most {MaxSegmentsPerListing}");
        }

        for (var i = 0; i < segments.Count; i++)
        {
            if ((uint)segments[i] >= Segments.Count || (i > 0 && segments[i] <= segments[i - 1]))
            {
                throw new RequestRejectedException("segments must be ascending and below " + Segments.Count);
            }
        }

        var entries = RangeTree.ListKeys(tree, ranges, segments, after is { Length: > 0 } ? after : null, Math.Clamp(max, 1, MaxEntriesPerPage), out var more);
        var page = new List<(byte[], ulong)>(entries.Count);
        var bytes = 0L;
        foreach (var entry in entries)
        {
            if ((bytes += entry.Key.Length) > MaxPageKeyBytes && page.Count > 0)
            {
                more = true;
                break;
            }

            page.Add((entry.Key, entry.Hash));
        }

        return new KeyHashPage(page, more);
    }

    private static void CheckRanges(HashRanges ranges)
    {
        if (ranges.Intervals.Length > MaxIntervals)
        {
            throw new RequestRejectedException($"{ranges.Intervals.Length} ranges named; at most {MaxIntervals}");
        }
    }
}
