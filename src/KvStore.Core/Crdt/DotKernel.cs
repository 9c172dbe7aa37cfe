using KvStore.Core.Causality;

namespace KvStore.Core.Crdt;

/// <summary>
/// The join rule shared by the register and the set: an event (dot) present on one side survives a
/// merge unless the other side has seen it (its clock covers the dot) and no longer holds it, which
/// means the other side removed it. This is the join of "optimized" observed-remove CRDTs without
/// tombstones (Bieniusa et al., "An optimized conflict-free replicated set", 2012; Almeida et al.,
/// "Delta state replicated data types", 2018, dot stores).
/// </summary>
internal static class DotKernel
{
    /// <summary>Joins two sorted, duplicate-free dot lists under their owners' clocks.</summary>
    public static Dot[] Join(ReadOnlySpan<Dot> mine, VersionVector myClock, ReadOnlySpan<Dot> theirs, VersionVector theirClock)
    {
        var result = new List<Dot>(Math.Max(mine.Length, theirs.Length));
        int i = 0, j = 0;
        while (i < mine.Length || j < theirs.Length)
        {
            var c = i == mine.Length ? 1 : j == theirs.Length ? -1 : mine[i].CompareTo(theirs[j]);
            if (c == 0)
            {
                result.Add(mine[i]);
                i++;
                j++;
            }
            else if (c < 0)
            {
                if (!theirClock.Contains(mine[i]))
                {
                    result.Add(mine[i]);
                }

                i++;
            }
            else
            {
                if (!myClock.Contains(theirs[j]))
                {
                    result.Add(theirs[j]);
                }

                j++;
            }
        }

        return [.. result];
    }
}
