using System.Text;
using KvStore.Core.Causality;
using KvStore.Core.Crdt;

namespace KvStore.Core.Tests;

public sealed class OrSetSemanticsTests
{
    private static readonly ActorId A = new("a", 1);
    private static readonly ActorId B = new("b", 1);

    private static byte[][] E(params string[] s) => s.Select(Encoding.UTF8.GetBytes).ToArray();

    private static string[] Members(OrSet s) => s.Members.ToArray().Select(m => Encoding.UTF8.GetString(m.Element)).ToArray();

    [Fact]
    public void Add_wins_over_a_concurrent_remove()
    {
        var base_ = OrSet.Empty.Add(A, E("x"));
        var removedOnA = base_.Remove(E("x"), null);
        var readdedOnB = base_.Add(B, E("x"));
        Assert.Equal(["x"], Members(removedOnA.Merge(readdedOnB)));
        Assert.Equal(["x"], Members(readdedOnB.Merge(removedOnA)));
    }

    [Fact]
    public void A_remove_of_seen_elements_sticks_after_merging_stale_replicas()
    {
        var base_ = OrSet.Empty.Add(A, E("x", "y"));
        var removed = base_.Remove(E("x"), base_.Clock);
        Assert.Equal(["y"], Members(removed.Merge(base_)));
        Assert.Equal(["y"], Members(base_.Merge(removed)));
    }

    [Fact]
    public void A_remove_with_an_old_context_spares_additions_made_after_it()
    {
        var s1 = OrSet.Empty.Add(A, E("x"));
        var read = s1.Clock;
        var s2 = s1.Add(A, E("x"));
        Assert.Equal(["x"], Members(s2.Remove(E("x"), read)));
        Assert.Empty(Members(s2.Remove(E("x"), s2.Clock)));
    }

    [Fact]
    public void Members_are_sorted_by_bytes_and_duplicates_collapse()
    {
        var s = OrSet.Empty.Add(A, E("b", "a", "b", "c"));
        Assert.Equal(["a", "b", "c"], Members(s));
        Assert.Equal(1UL, s.Clock[A]);
    }
}
