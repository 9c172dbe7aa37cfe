namespace KvStore.Core.Ring;

public sealed partial class HashRing
{
    /// <summary>2^64, the size of the hash space, for turning arc lengths into fractions.</summary>
    private const double HashSpace = 18446744073709551616.0;

    /// <summary>
    /// The fraction of the 2^64 hash space for which each node is the first replica. Sums to 1 when
    /// the ring has nodes (up to rounding); empty for the empty ring. For the operator's view of how
    /// evenly the tokens spread the load.
    /// </summary>
    public IReadOnlyDictionary<string, double> PrimaryOwnership()
    {
        var sums = new UInt128[_nodes.Length];
        for (var i = 0; i < _tokens.Length; i++)
        {
            sums[_owners[i]] += ArcEndingAt(i);
        }

        return Fractions(sums);
    }

    /// <summary>
    /// The fraction of the hash space for which each node is one of the <paramref name="n"/>
    /// replicas: each value is in [0, 1] and they sum to min(n, node count). This, not
    /// <see cref="PrimaryOwnership"/>, is the share of the data a node stores.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="n"/> is less than 1.</exception>
    public IReadOnlyDictionary<string, double> ReplicaOwnership(int n)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(n);
        var sums = new UInt128[_nodes.Length];
        var want = Math.Min(n, _nodes.Length);
        Span<int> owners = want <= 64 ? stackalloc int[want] : new int[want];
        for (var i = 0; i < _tokens.Length; i++)
        {
            // Every hash in the arc ending at token i starts its walk at token i.
            var arc = ArcEndingAt(i);
            CollectOwners(i, owners);
            foreach (var owner in owners)
            {
                sums[owner] += arc;
            }
        }

        return Fractions(sums);
    }

    /// <summary>
    /// How many hashes start their walk at token <paramref name="i"/>: those after the previous
    /// token up to and including this one. Token 0 also takes the hashes above the last token, so
    /// the arcs add up to exactly 2^64. Of equal tokens only the first gets a non-empty arc.
    /// </summary>
    private UInt128 ArcEndingAt(int i)
    {
        if (i > 0)
        {
            return _tokens[i] - _tokens[i - 1];
        }

        // (last, 2^64 - 1] and [0, first]: 2^64 - last + first, exact in 128 bits.
        return ((UInt128)1 << 64) - _tokens[^1] + _tokens[0];
    }

    private Dictionary<string, double> Fractions(UInt128[] sums)
    {
        var result = new Dictionary<string, double>(_nodes.Length, StringComparer.Ordinal);
        for (var owner = 0; owner < _nodes.Length; owner++)
        {
            result[_nodes[owner]] = (double)sums[owner] / HashSpace;
        }

        return result;
    }
}
