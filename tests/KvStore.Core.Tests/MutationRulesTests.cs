using System.Text;
using KvStore.Core.Causality;
using KvStore.Core.Clock;
using KvStore.Core.Crdt;

namespace KvStore.Core.Tests;

public sealed class MutationRulesTests
{
    private static readonly ActorId A = new("a", 1);
    private static readonly ObjectLimits Limits = new(MaxSetElements: 3, MaxVersionVectorWidth: 2);
    private static readonly HlcTimestamp T = new(1, 0);

    private static KvObject? Apply(KvObject? current, Mutation m, ActorId? actor = null) =>
        MutationRules.Apply(current, m, actor ?? A, T, Limits);

    [Fact]
    public void A_set_operation_on_a_register_is_refused_as_wrong_type()
    {
        var reg = Apply(null, new Mutation.Put([1], null));
        var e = Assert.Throws<MutationRejectedException>(() => Apply(reg, new Mutation.SetAdd([[1]])));
        Assert.Equal(RejectReason.WrongType, e.Reason);
        Assert.Throws<MutationRejectedException>(() => Apply(Apply(null, new Mutation.SetAdd([[1]])), new Mutation.Put([1], null)));
    }

    [Fact]
    public void Deleting_or_removing_from_a_missing_key_changes_nothing()
    {
        Assert.Null(Apply(null, new Mutation.Delete(null)));
        Assert.Null(Apply(null, new Mutation.SetRemove([[1]], null)));
    }

    [Fact]
    public void Delete_works_on_both_types_and_leaves_a_typed_tombstone()
    {
        var set = Apply(null, new Mutation.SetAdd([Encoding.UTF8.GetBytes("x")]))!;
        var deleted = Apply(set, new Mutation.Delete(set.Context))!;
        Assert.False(deleted.IsLive);
        Assert.Equal(ObjectType.Set, deleted.Type);
        var reg = Apply(null, new Mutation.Put([1], null))!;
        Assert.False(Apply(reg, new Mutation.Delete(null))!.IsLive);
    }

    [Fact]
    public void A_set_past_its_bound_is_refused_but_may_shrink()
    {
        var full = Apply(null, new Mutation.SetAdd([[1], [2], [3]]))!;
        var e = Assert.Throws<MutationRejectedException>(() => Apply(full, new Mutation.SetAdd([[4]])));
        Assert.Equal(RejectReason.LimitExceeded, e.Reason);
        Assert.Equal(2, Apply(full, new Mutation.SetRemove([[1]], null))!.Set!.Count);
    }

    [Fact]
    public void A_clock_past_its_width_bound_is_refused()
    {
        var obj = Apply(Apply(null, new Mutation.Put([1], null)), new Mutation.Put([2], null), new ActorId("b", 1));
        var e = Assert.Throws<MutationRejectedException>(() => Apply(obj, new Mutation.Put([3], null), new ActorId("c", 1)));
        Assert.Equal(RejectReason.LimitExceeded, e.Reason);
    }
}
