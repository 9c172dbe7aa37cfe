using System.Collections.Immutable;
using KvStore.Cluster.Handoff;
using KvStore.Cluster.Membership;
using KvStore.Cluster.Routing;
using KvStore.Core.AntiEntropy;
using KvStore.Core.Membership;

namespace KvStore.Cluster.Tests.Handoff;

/// <summary>The pure plan: which ranges each node owes whom after a routing change.</summary>
public sealed class HandoffPlanTests
{
    private static readonly string[] Four = ["n1", "n2", "n3", "n4"];

    private static RoutingTable Table(string self, params (string Id, MemberState State)[] members) =>
        RoutingTable.Build(
            new MembershipView(self, [.. members.Select(m => new Member(m.Id, "127.0.0.1:1", "", m.State, 0))], 1),
            replicationFactor: 3,
            tokensPerNode: 64);

    private static (string, MemberState)[] Alive(params string[] ids) => [.. ids.Select(id => (id, MemberState.Alive))];

    private static (string, MemberState)[] With(string[] ids, string changed, MemberState state) =>
        [.. ids.Select(id => (id, id == changed ? state : MemberState.Alive))];

    /// <summary>What every node in <paramref name="selves"/> owes, by target, with each node's table before and after.</summary>
    private static List<(string From, OwedRanges Owed)> Plans(IEnumerable<string> selves, (string, MemberState)[] before, (string, MemberState)[] after) =>
        [.. selves.SelectMany(self => HandoffPlan.Compute(Table(self, before), Table(self, after)).Select(o => (self, o)))];

    private static HashRanges ReplicaRanges(RoutingTable table, string node) =>
        HashRanges.Of(table.Ring.Ranges(3).Where(r => r.Replicas.Contains(node)).Select(r => r.Interval));

    [Fact]
    public void A_joining_node_is_owed_exactly_the_ranges_it_now_replicates_each_by_every_old_replica()
    {
        var plans = Plans(Four, Alive(Four), Alive([.. Four, "n5"]));

        Assert.All(plans, p => Assert.Equal("n5", p.Owed.Target));
        var union = HashRanges.Of(plans.SelectMany(p => p.Owed.Ranges.Intervals));
        Assert.Equal(ReplicaRanges(Table("n1", Alive([.. Four, "n5"])), "n5"), union);

        // Every old replica pushes (they need not hold the same data): three senders per range.
        Assert.Equal(3 * union.Fraction, plans.Sum(p => p.Owed.Ranges.Fraction), precision: 9);
    }

    [Fact]
    public void A_suspect_member_or_a_dead_one_returning_moves_nothing()
    {
        Assert.Empty(Plans(Four, Alive(Four), With(Four, "n3", MemberState.Suspect)));
        Assert.Empty(Plans(Four, With(Four, "n3", MemberState.Dead), Alive(Four)));
    }

    [Fact]
    public void A_leaving_node_owes_every_range_it_replicated_to_the_node_that_replaces_it_there()
    {
        var before = Alive(Four);
        var after = With(Four, "n2", MemberState.Left);
        var owed = HandoffPlan.Compute(Table("n2", before), Table("n2", after));

        Assert.Equal(ReplicaRanges(Table("n2", before), "n2"), HashRanges.Of(owed.SelectMany(o => o.Ranges.Intervals)));
        Assert.Equal(ReplicaRanges(Table("n2", before), "n2").Fraction, owed.Sum(o => o.Ranges.Fraction), precision: 9);
        Assert.DoesNotContain(owed, o => o.Target == "n2");

        // The survivors owe the same ranges too: both other old replicas of each range push it.
        var survivors = Plans(["n1", "n3", "n4"], before, after);
        Assert.Equal(ReplicaRanges(Table("n2", before), "n2"), HashRanges.Of(survivors.SelectMany(p => p.Owed.Ranges.Intervals)));
        Assert.Equal(2 * ReplicaRanges(Table("n2", before), "n2").Fraction, survivors.Sum(p => p.Owed.Ranges.Fraction), precision: 9);
    }

    [Fact]
    public void A_dead_members_ranges_go_to_the_next_live_node_from_both_survivors()
    {
        var before = Alive([.. Four, "n5"]);
        var after = With([.. Four, "n5"], "n3", MemberState.Dead);
        var plans = Plans(["n1", "n2", "n4", "n5"], before, after);

        var table = Table("n1", after);
        Assert.Equal(ReplicaRanges(table, "n3"), HashRanges.Of(plans.SelectMany(p => p.Owed.Ranges.Intervals)));
        Assert.Equal(2 * ReplicaRanges(table, "n3").Fraction, plans.Sum(p => p.Owed.Ranges.Fraction), precision: 9);
        foreach (var (_, owed) in plans)
        {
            foreach (var interval in owed.Ranges.Intervals)
            {
                // The target is the first live node after the range's preference list.
                var range = table.Ring.Ranges(5).First(r => r.Interval.First <= interval.First && interval.First <= r.Interval.Last);
                Assert.Equal(range.Replicas.Skip(3).First(id => id != "n3"), owed.Target);
            }
        }
    }
}
