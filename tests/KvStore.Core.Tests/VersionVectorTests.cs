using KvStore.Core.Causality;

namespace KvStore.Core.Tests;

public sealed class VersionVectorTests
{
    private static readonly ActorId A = new("a", 1);
    private static readonly ActorId B = new("b", 1);

    private static VersionVector V(ulong a, ulong b) =>
        VersionVector.From(new[] { new VersionVector.Entry(A, a), new VersionVector.Entry(B, b) }.Where(e => e.Counter > 0));

    [Theory]
    [InlineData(1, 1, 1, 1, Ordering.Equal)]
    [InlineData(2, 1, 1, 1, Ordering.After)]
    [InlineData(1, 0, 1, 1, Ordering.Before)]
    [InlineData(2, 0, 1, 1, Ordering.Concurrent)]
    [InlineData(0, 0, 0, 0, Ordering.Equal)]
    public void Compare_tells_the_causal_relation(int a1, int b1, int a2, int b2, Ordering expected) =>
        Assert.Equal(expected, V((ulong)a1, (ulong)b1).Compare(V((ulong)a2, (ulong)b2)));

    [Fact]
    public void Increment_mints_consecutive_dots_per_actor()
    {
        var (v1, d1) = VersionVector.Empty.Increment(B);
        var (v2, d2) = v1.Increment(A);
        var (v3, d3) = v2.Increment(B);
        Assert.Equal(new Dot(B, 1), d1);
        Assert.Equal(new Dot(A, 1), d2);
        Assert.Equal(new Dot(B, 2), d3);
        Assert.Equal(V(1, 2), v3);
        Assert.True(v3.Contains(d1) && v3.Contains(d3));
        Assert.False(v2.Contains(d3));
    }

    [Fact]
    public void Merge_is_the_pointwise_maximum_and_keeps_entries_sorted()
    {
        var c = new ActorId("c", 1);
        var x = VersionVector.From([new(c, 5), new(A, 1)]);
        var y = VersionVector.From([new(B, 3), new(A, 4)]);
        var m = x.Merge(y);
        Assert.Equal([new(A, 4), new(B, 3), new(c, 5)], m.Entries.ToArray());
        Assert.Equal(m, y.Merge(x));
        Assert.True(m.Descends(x) && m.Descends(y));
    }

    [Fact]
    public void From_rejects_duplicates_and_zero_counters()
    {
        Assert.Throws<ArgumentException>(() => VersionVector.From([new(A, 1), new(A, 2)]));
        Assert.Throws<ArgumentException>(() => VersionVector.From([new(A, 0)]));
    }

    [Fact]
    public void Actors_with_the_same_node_but_another_epoch_are_distinct()
    {
        var old = new ActorId("n1", 7);
        var reborn = new ActorId("n1", 8);
        var (v, _) = VersionVector.Empty.Increment(old);
        Assert.False(v.Contains(new Dot(reborn, 1)));
    }
}
