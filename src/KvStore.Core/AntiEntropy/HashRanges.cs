using System.Collections.Immutable;

namespace KvStore.Core.AntiEntropy;

/// <summary>How much of a span a set of ranges covers.</summary>
public enum Coverage
{
    None = 0,
    Partial = 1,
    Full = 2,
}

/// <summary>
/// A set of ring positions as sorted, disjoint, non-adjacent intervals: the part of the ring two
/// replicas both hold, which an exchange compares. Immutable.
/// </summary>
public sealed class HashRanges : IEquatable<HashRanges>
{
    private readonly ImmutableArray<HashInterval> _intervals;

    private HashRanges(ImmutableArray<HashInterval> intervals)
    {
        _intervals = intervals;
    }

    public static HashRanges Empty { get; } = new([]);

    public static HashRanges Full { get; } = new([HashInterval.Full]);

    public ImmutableArray<HashInterval> Intervals => _intervals;

    public bool IsEmpty => _intervals.IsEmpty;

    /// <summary>The share of the ring covered.</summary>
    public double Fraction => _intervals.Sum(i => i.Fraction);

    /// <summary>The union of the intervals, in any order, overlapping or not.</summary>
    public static HashRanges Of(IEnumerable<HashInterval> intervals)
    {
        var sorted = intervals.OrderBy(i => i.First).ToList();
        var result = ImmutableArray.CreateBuilder<HashInterval>(sorted.Count);
        foreach (var next in sorted)
        {
            if (result.Count > 0 && (result[^1].Last == ulong.MaxValue || next.First <= result[^1].Last + 1))
            {
                var last = result[^1];
                result[^1] = new HashInterval(last.First, Math.Max(last.Last, next.Last));
            }
            else
            {
                result.Add(next);
            }
        }

        return new HashRanges(result.ToImmutable());
    }

    /// <summary>
    /// Reads ranges sent as (first, last) pairs, which must already be in canonical form: ascending,
    /// disjoint and not adjacent, so a peer's request names exactly one set.
    /// </summary>
    /// <exception cref="ArgumentException">An odd count, an interval backwards, or intervals out of order, overlapping or adjacent.</exception>
    public static HashRanges FromPairs(IReadOnlyList<ulong> pairs)
    {
        if (pairs.Count % 2 != 0)
        {
            throw new ArgumentException("ranges come as (first, last) pairs; the count is odd");
        }

        var builder = ImmutableArray.CreateBuilder<HashInterval>(pairs.Count / 2);
        for (var i = 0; i < pairs.Count; i += 2)
        {
            var interval = new HashInterval(pairs[i], pairs[i + 1]);
            if (builder.Count > 0 && (builder[^1].Last == ulong.MaxValue || interval.First <= builder[^1].Last + 1))
            {
                throw new ArgumentException("ranges must be ascending, disjoint and not adjacent");
            }

            builder.Add(interval);
        }

        return new HashRanges(builder.ToImmutable());
    }

    /// <summary>The intervals as (first, last) pairs, the form <see cref="FromPairs"/> reads.</summary>
    public IEnumerable<ulong> ToPairs()
    {
        foreach (var i in _intervals)
        {
            yield return i.First;
            yield return i.Last;
        }
    }

    public bool Contains(ulong position)
    {
        var i = FirstEndingAtOrAfter(position);
        return i < _intervals.Length && _intervals[i].First <= position;
    }

    /// <summary>Whether the ranges cover none, part or all of <paramref name="span"/>.</summary>
    public Coverage Cover(HashInterval span)
    {
        var i = FirstEndingAtOrAfter(span.First);
        if (i == _intervals.Length || _intervals[i].First > span.Last)
        {
            return Coverage.None;
        }

        return _intervals[i].First <= span.First && _intervals[i].Last >= span.Last ? Coverage.Full : Coverage.Partial;
    }

    /// <summary>The parts of <paramref name="span"/> inside the ranges, ascending.</summary>
    public IEnumerable<HashInterval> Clip(HashInterval span)
    {
        for (var i = FirstEndingAtOrAfter(span.First); i < _intervals.Length && _intervals[i].First <= span.Last; i++)
        {
            yield return new HashInterval(Math.Max(span.First, _intervals[i].First), Math.Min(span.Last, _intervals[i].Last));
        }
    }

    public bool Equals(HashRanges? other) => other is not null && _intervals.AsSpan().SequenceEqual(other._intervals.AsSpan());

    public override bool Equals(object? obj) => Equals(obj as HashRanges);

    public override int GetHashCode() => _intervals.Length == 0 ? 0 : HashCode.Combine(_intervals.Length, _intervals[0], _intervals[^1]);

    public override string ToString() => string.Join(" ", _intervals);

    /// <summary>Index of the first interval whose last position is at or after <paramref name="position"/>.</summary>
    private int FirstEndingAtOrAfter(ulong position)
    {
        int lo = 0, hi = _intervals.Length;
        while (lo < hi)
        {
            var mid = (lo + hi) >>> 1;
            if (_intervals[mid].Last < position)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid;
            }
        }

        return lo;
    }
}
