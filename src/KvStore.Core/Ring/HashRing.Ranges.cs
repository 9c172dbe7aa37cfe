using KvStore.Core.AntiEntropy;

namespace KvStore.Core.Ring;

/// <summary>A stretch of the ring whose keys all have the same replicas, in preference order.</summary>
public sealed record RingRange(HashInterval Interval, IReadOnlyList<string> Replicas);

public sealed partial class HashRing
{
    /// <summary>
    /// The ring cut into the arcs between consecutive tokens, each with its first
    /// min(<paramref name="n"/>, node count) distinct nodes: the replicated ranges. Together they
    /// cover every position exactly once, and every key in an arc has that arc's preference list.
    /// The arc that wraps past the top of the circle comes as two ranges, the first and the last.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="n"/> is less than 1.</exception>
    public IReadOnlyList<RingRange> Ranges(int n)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(n);
        if (_tokens.Length == 0)
        {
            return [];
        }

        var want = Math.Min(n, _nodes.Length);
        var result = new List<RingRange>(_tokens.Length + 1);
        var owners = new int[want];
        string[] Replicas(int token)
        {
            CollectOwners(token, owners);
            return owners.Select(o => _nodes[o]).ToArray();
        }

        // Hashes in (token[i-1], token[i]] start their walk at token i; of equal tokens only the
        // first is ever the start, so the others own nothing.
        var wrap = Replicas(0);
        result.Add(new RingRange(new HashInterval(0, _tokens[0]), wrap));
        for (var i = 1; i < _tokens.Length; i++)
        {
            if (_tokens[i] != _tokens[i - 1])
            {
                result.Add(new RingRange(new HashInterval(_tokens[i - 1] + 1, _tokens[i]), Replicas(i)));
            }
        }

        if (_tokens[^1] != ulong.MaxValue)
        {
            result.Add(new RingRange(new HashInterval(_tokens[^1] + 1, ulong.MaxValue), wrap));
        }

        return result;
    }
}
