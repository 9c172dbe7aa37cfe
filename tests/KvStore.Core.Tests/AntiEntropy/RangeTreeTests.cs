using CsCheck;
using KvStore.Core.AntiEntropy;
using KvStore.Core.Ring;

namespace KvStore.Core.Tests.AntiEntropy;

public sealed class RangeTreeTests
{
    private static List<(byte[] Key, ulong Hash)> RandomKeys(Random rng, int count) =>
        Enumerable.Range(0, count).Select(_ =>
        {
            var key = new byte[rng.Next(1, 12)];
            rng.NextBytes(key);
            return (key, (ulong)rng.NextInt64());
        }).DistinctBy(k => Convert.ToHexString(k.key)).ToList();

    /// <summary>Random intervals, some narrower than a segment (as the ring's arcs often are near a key).</summary>
    private static HashRanges RandomRanges(Random rng)
    {
        var intervals = new List<HashInterval>();
        for (var i = rng.Next(0, 8); i > 0; i--)
        {
            var first = (ulong)rng.NextInt64() * 2;
            var width = rng.Next(3) switch { 0 => (ulong)rng.Next(1, 1 << 20), 1 => (ulong)rng.NextInt64() >> 8, _ => (ulong)rng.NextInt64() };
            intervals.Add(new HashInterval(first, first + Math.Min(width, ulong.MaxValue - first)));
        }

        return rng.Next(10) == 0 ? HashRanges.Full : HashRanges.Of(intervals);
    }

    [Fact]
    public void Every_clipped_node_is_the_xor_of_exactly_its_keys_in_range()
    {
        Gen.Int.Sample(seed =>
        {
            var rng = new Random(seed);
            var source = new ListMerkleSource(RandomKeys(rng, rng.Next(0, 3000)));
            var ranges = RandomRanges(rng);
            for (var probe = 0; probe < 40; probe++)
            {
                var depth = rng.Next(0, Segments.LeafDepth + 1);
                var index = rng.Next(Segments.NodesAt(depth));
                var span = Segments.Span(depth, index);

                // A probe near a range boundary, where clipping matters, half the time.
                if (probe % 2 == 0 && !ranges.IsEmpty)
                {
                    var boundary = ranges.Intervals[rng.Next(ranges.Intervals.Length)].First;
                    index = Segments.NodeOf(depth, boundary);
                    span = Segments.Span(depth, index);
                }

                var expected = source.Entries.Where(e => span.Contains(e.Position) && ranges.Contains(e.Position)).Aggregate(0UL, (h, e) => h ^ e.Hash);
                Assert.Equal(expected, RangeTree.Node(source, ranges, depth, index));
            }
        }, iter: 100);
    }

    [Fact]
    public void Children_list_sixteen_per_parent_in_order_and_the_root_alone_at_depth_zero()
    {
        var rng = new Random(7);
        var source = new ListMerkleSource(RandomKeys(rng, 500));
        Assert.Equal([source.NodeHash(0, 0)], RangeTree.Children(source, HashRanges.Full, 0, []));
        var children = RangeTree.Children(source, HashRanges.Full, 2, [3, 9]);
        Assert.Equal(32, children.Length);
        Assert.Equal(source.NodeHash(2, (9 * 16) + 5), children[16 + 5]);
        Assert.Equal(source.NodeHash(1, 3), children[..16].Aggregate(0UL, (h, c) => h ^ c));
        Assert.Throws<ArgumentOutOfRangeException>(() => RangeTree.Children(source, HashRanges.Full, 1, [1]));
    }

    [Fact]
    public void Listing_in_pages_yields_the_keys_of_the_segments_in_range_once_each_in_order()
    {
        Gen.Int.Sample(seed =>
        {
            var rng = new Random(seed);
            var source = new ListMerkleSource(RandomKeys(rng, rng.Next(0, 2000)));
            var ranges = RandomRanges(rng);
            var segments = Enumerable.Range(0, 40).Select(_ => rng.Next(Segments.Count)).Distinct().Order().ToList();
            var expected = source.Entries.Where(e => ranges.Contains(e.Position) && segments.Contains(Segments.Of(e.Position))).ToList();

            var listed = new List<KeyHash>();
            byte[]? after = null;
            var pageSize = rng.Next(1, 5);
            while (true)
            {
                var page = RangeTree.ListKeys(source, ranges, segments, after, pageSize, out var more);
                Assert.True(page.Count <= pageSize);
                listed.AddRange(page);
                if (!more)
                {
                    break;
                }

                after = page[^1].Key;
            }

            Assert.Equal(expected.Select(e => Convert.ToHexString(e.Key)), listed.Select(e => Convert.ToHexString(e.Key)));
        }, iter: 100);
    }

    [Fact]
    public void Segments_cut_the_ring_by_the_top_bits_and_nodes_nest()
    {
        Assert.Equal(0, Segments.Of(0));
        Assert.Equal(Segments.Count - 1, Segments.Of(ulong.MaxValue));
        Assert.Equal(HashInterval.Full, Segments.Span(0, 0));
        var leaf = Segments.Span(Segments.LeafDepth, 0x1234);
        Assert.Equal(0x1234UL << 48, leaf.First);
        Assert.Equal((0x1235UL << 48) - 1, leaf.Last);
        Assert.Equal(0x123, Segments.NodeOf(3, leaf.First));
        Assert.True(Segments.Span(3, 0x123).Contains(leaf.Last));
    }

    [Fact]
    public void The_object_hash_depends_on_key_and_bytes_and_keeps_keys_apart()
    {
        var a = ObjectHash.Of("ab"u8, "c"u8);
        Assert.Equal(a, ObjectHash.Of("ab"u8, "c"u8));
        Assert.NotEqual(a, ObjectHash.Of("a"u8, "bc"u8));
        Assert.NotEqual(a, ObjectHash.Of("ab"u8, "d"u8));
        Assert.NotEqual(0UL, HashRing.KeyHash("ab"u8));
    }
}
