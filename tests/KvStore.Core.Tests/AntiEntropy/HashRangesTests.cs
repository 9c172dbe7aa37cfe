using KvStore.Core.AntiEntropy;
using KvStore.Core.Ring;

namespace KvStore.Core.Tests.AntiEntropy;

public sealed class HashRangesTests
{
    private static HashInterval I(ulong first, ulong last) => new(first, last);

    [Fact]
    public void Of_sorts_and_joins_overlapping_and_adjacent_intervals()
    {
        var ranges = HashRanges.Of([I(50, 60), I(10, 20), I(21, 30), I(15, 18), I(100, ulong.MaxValue), I(200, 300)]);
        Assert.Equal([I(10, 30), I(50, 60), I(100, ulong.MaxValue)], ranges.Intervals);
        Assert.Equal(HashRanges.Full, HashRanges.Of([I(0, 5), I(6, ulong.MaxValue)]));
        Assert.True(HashRanges.Of([]).IsEmpty);
    }

    [Fact]
    public void Cover_and_clip_answer_for_any_span()
    {
        var ranges = HashRanges.Of([I(10, 30), I(50, 60)]);
        Assert.Equal(Coverage.Full, ranges.Cover(I(12, 30)));
        Assert.Equal(Coverage.Partial, ranges.Cover(I(0, 10)));
        Assert.Equal(Coverage.Partial, ranges.Cover(I(25, 55)));
        Assert.Equal(Coverage.None, ranges.Cover(I(31, 49)));
        Assert.Equal(Coverage.None, ranges.Cover(I(61, ulong.MaxValue)));
        Assert.Equal([I(25, 30), I(50, 55)], ranges.Clip(I(25, 55)));
        Assert.True(ranges.Contains(60));
        Assert.False(ranges.Contains(61));
    }

    [Fact]
    public void Pairs_round_trip_and_only_canonical_pairs_are_read()
    {
        var ranges = HashRanges.Of([I(10, 30), I(50, 60)]);
        Assert.Equal(ranges, HashRanges.FromPairs(ranges.ToPairs().ToList()));
        Assert.Throws<ArgumentException>(() => HashRanges.FromPairs([1UL, 2, 3]));
        Assert.Throws<ArgumentException>(() => HashRanges.FromPairs([5UL, 2]));
        Assert.Throws<ArgumentException>(() => HashRanges.FromPairs([50UL, 60, 10, 30]));
        Assert.Throws<ArgumentException>(() => HashRanges.FromPairs([10UL, 30, 31, 40]));
    }

    [Fact]
    public void The_ring_ranges_cover_every_position_once_and_carry_each_position_s_preference_list()
    {
        var ring = HashRing.Build(["n1", "n2", "n3", "n4", "n5"]);
        var ranges = ring.Ranges(3);
        Assert.Equal(0UL, ranges[0].Interval.First);
        Assert.Equal(ulong.MaxValue, ranges[^1].Interval.Last);
        for (var i = 1; i < ranges.Count; i++)
        {
            Assert.Equal(ranges[i - 1].Interval.Last + 1, ranges[i].Interval.First);
        }

        var rng = new Random(11);
        foreach (var range in ranges)
        {
            var i = range.Interval;
            foreach (var position in new[] { i.First, i.Last, i.First + ((i.Last - i.First) / 2), i.First + ((ulong)rng.NextInt64() % (i.Last - i.First + 1)) })
            {
                Assert.Equal(ring.PreferenceListAt(position, 3), range.Replicas);
            }
        }

        Assert.Equal(3.0, ranges.Sum(r => r.Interval.Fraction * r.Replicas.Count), 6);
        Assert.Empty(HashRing.Empty.Ranges(3));
        var single = HashRing.Build(["solo"]).Ranges(3);
        Assert.All(single, r => Assert.Equal(["solo"], r.Replicas));
    }
}
