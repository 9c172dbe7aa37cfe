using KvStore.Cluster;
using KvStore.Core.Causality;
using KvStore.Core.Clock;
using KvStore.Core.Crdt;
using KvStore.Simulation.Sim;
using static KvStore.Simulation.Sim.Scenario;

namespace KvStore.Simulation;

/// <summary>
/// Per-node skewed clocks: the hybrid logical clock orders a write after what its client read, even
/// through a node whose clock is behind the reader's; a context timestamp further ahead than the
/// allowed drift is refused and counted. The allowed drift is the default, one minute.
/// </summary>
public sealed class ClockSkewTests
{
    [Fact]
    public void A_read_from_a_node_ahead_then_a_write_through_a_node_behind_wins()
    {
        var s = new Scenario();
        s.Cluster.SetSkew("n1", TimeSpan.FromSeconds(40));
        s.Cluster.SetSkew("n2", TimeSpan.FromSeconds(-15));

        // n2 hears from no one, so it cannot catch up on what the context saw: v1 stays a
        // concurrent write beside v2, and only the timestamp, learnt from the context, orders them.
        s.Cluster.Network.Cut("n1", "n2");
        s.Cluster.Network.Cut("n3", "n2");
        s.Write("n1", "k", new Mutation.Put(Bytes("v1"), null), ConsistencyLevel.Quorum);
        var read = s.Read("n1", "k")!;
        Assert.Null(s.Stored("n2", "k"));

        s.Write("n2", "k", new Mutation.Put(Bytes("v2"), read.Context), ConsistencyLevel.One);
        Assert.True(s.Stored("n2", "k")!.MaxTimestamp > read.Context.Timestamp);
        s.Cluster.Network.MendAll();
        s.AntiEntropy("n2", "n1");
        s.AntiEntropy("n2", "n3");

        Assert.All(s.Winners("k"), w => Assert.Equal("v2", w));
    }

    [Fact]
    public void Control_a_blind_write_through_a_node_behind_loses_to_an_earlier_write_from_a_node_ahead()
    {
        var s = new Scenario();
        s.Cluster.SetSkew("n1", TimeSpan.FromSeconds(40));
        s.Cluster.SetSkew("n2", TimeSpan.FromSeconds(-15));
        foreach (var (a, b) in new[] { ("n1", "n2"), ("n2", "n1"), ("n3", "n2"), ("n2", "n3") })
        {
            s.Cluster.Network.Cut(a, b);
        }

        s.Write("n1", "k", new Mutation.Put(Bytes("v1"), null), ConsistencyLevel.Quorum);

        // Later in real time, but without the context its timestamp comes from n2's slow clock.
        s.Write("n2", "k", new Mutation.Put(Bytes("v2"), null), ConsistencyLevel.One);
        s.Cluster.Network.MendAll();
        s.AntiEntropy("n2", "n1");
        s.AntiEntropy("n2", "n3");

        Assert.All(s.Winners("k"), w => Assert.Equal("v1", w));
    }

    [Fact]
    public void A_context_timestamp_beyond_the_allowed_drift_is_refused_and_counted()
    {
        var s = new Scenario();
        var node = s.Cluster["n2"];
        var wall = node.Time.GetUtcNow();
        Assert.Equal(0, node.Clock.RejectedCount);

        var tooFar = new CausalContext(VersionVector.Empty, new HlcTimestamp((wall + TimeSpan.FromMinutes(2)).ToUnixTimeMilliseconds(), 0));
        var refused = Assert.Throws<ClockDriftException>(() => s.Write("n2", "k", new Mutation.Put(Bytes("v1"), tooFar)));

        // The counter behind kvstore_clock_drift_rejections_total moved, and nothing was stored anywhere.
        Assert.Equal(tooFar.Timestamp, refused.Remote);
        Assert.Equal(1, node.Clock.RejectedCount);
        Assert.All(s.Cluster.Replicas(Bytes("k")), r => Assert.Null(s.Stored(r, "k")));

        // Within the drift the same write is taken, and ordered after the context.
        var near = new CausalContext(VersionVector.Empty, new HlcTimestamp((wall + TimeSpan.FromSeconds(30)).ToUnixTimeMilliseconds(), 0));
        var stored = s.Write("n2", "k", new Mutation.Put(Bytes("v2"), near))!;
        Assert.True(stored.MaxTimestamp > near.Timestamp);
        Assert.Equal(1, node.Clock.RejectedCount);
    }

    [Fact]
    public void An_object_from_a_clock_beyond_the_allowed_drift_is_merged_anyway_and_counted()
    {
        var s = new Scenario();
        s.Cluster.SetSkew("n1", TimeSpan.FromMinutes(3));
        s.Write("n1", "k", new Mutation.Put(Bytes("v1"), null), ConsistencyLevel.All);

        // Refusing the merge would leave the replicas diverged for good; it is kept, and counted.
        Assert.All(s.Winners("k"), w => Assert.Equal("v1", w));
        Assert.Equal(1, s.Cluster["n2"].Counters.MergeDriftObserved);
        Assert.Equal(1, s.Cluster["n3"].Counters.MergeDriftObserved);
    }
}
