using KvStore.Cluster;
using KvStore.Core.Crdt;
using KvStore.Simulation.Sim;
using static KvStore.Simulation.Sim.Scenario;

namespace KvStore.Simulation;

/// <summary>
/// Riak's KV679 scenarios: a replica restarted on an empty data directory under its old node id.
/// Its store mints a new epoch, so the dots of its next writes are new events rather than ones the
/// other replicas have already seen. The controls restart it with the old epoch, as a store without
/// epochs would, and show the same steps losing an acknowledged write.
/// </summary>
public sealed class AmnesiaTests
{
    [Fact]
    public void A_wiped_replica_mints_a_new_epoch_and_its_next_write_wins_everywhere()
    {
        var s = new Scenario();
        s.Write("n1", "k", new Mutation.Put(Bytes("v1"), null), ConsistencyLevel.All);
        var before = s.Cluster["n1"].Store.Actor;

        Wipe(s, "n1");
        Assert.Equal(before.Node, s.Cluster["n1"].Store.Actor.Node);
        Assert.NotEqual(before.Epoch, s.Cluster["n1"].Store.Actor.Epoch);
        Assert.Null(s.Stored("n1", "k"));

        // The client writes through the wiped node without reading first: it knows nothing either.
        s.Write("n1", "k", new Mutation.Put(Bytes("v2"), null), ConsistencyLevel.All);
        Assert.All(s.Winners("k"), w => Assert.Equal("v2", w));

        // A read-then-write through it supersedes both.
        var read = s.Read("n1", "k")!;
        s.Write("n1", "k", new Mutation.Put(Bytes("v3"), read.Context), ConsistencyLevel.All);
        ConvergeAll(s);
        Assert.All(s.Winners("k"), w => Assert.Equal("v3", w));
        Assert.All(s.Cluster.Replicas(Bytes("k")), r => Assert.Single(s.Stored(r, "k")!.Register!.Entries.ToArray()));
    }

    [Fact]
    public void Control_without_a_new_epoch_the_other_replicas_drop_the_acknowledged_write()
    {
        var s = new Scenario();
        s.Write("n1", "k", new Mutation.Put(Bytes("v1"), null), ConsistencyLevel.All);
        Wipe(s, "n1", keepEpoch: true);

        // Acknowledged by all three replicas, yet the others take its reused dot for v1 and keep v1.
        s.Write("n1", "k", new Mutation.Put(Bytes("v2"), null), ConsistencyLevel.All);
        ConvergeAll(s);
        Assert.Equal("v2", s.Winners("k")[s.Cluster.Replicas(Bytes("k")).ToList().IndexOf("n1")]);
        Assert.Contains("v1", s.Winners("k"));
    }

    [Fact]
    public void An_addition_through_a_wiped_replica_is_kept_beside_the_old_ones()
    {
        var s = new Scenario();
        s.Write("n1", "set", new Mutation.SetAdd([Bytes("x1")]), ConsistencyLevel.All);
        Wipe(s, "n1");
        s.Write("n1", "set", new Mutation.SetAdd([Bytes("x2")]), ConsistencyLevel.All);
        ConvergeAll(s);
        Assert.All(s.Cluster.Replicas(Bytes("set")), r => Assert.Equal(["x1", "x2"], s.Elements(r, "set")));
    }

    [Fact]
    public void Control_without_a_new_epoch_an_acknowledged_addition_is_lost()
    {
        var s = new Scenario();
        s.Write("n1", "set", new Mutation.SetAdd([Bytes("x1")]), ConsistencyLevel.All);
        Wipe(s, "n1", keepEpoch: true);
        s.Write("n1", "set", new Mutation.SetAdd([Bytes("x2")]), ConsistencyLevel.All);
        ConvergeAll(s);

        // The other replicas saw the reused dot as an addition already removed.
        Assert.DoesNotContain("x2", s.Elements("n2", "set"));
    }

    [Fact]
    public void An_old_tombstone_handed_off_to_the_wiped_replica_does_not_delete_its_new_write()
    {
        var s = new Scenario(nodes: 4);
        var replicas = s.Cluster.Replicas(Bytes("k"));
        var (a, b) = (replicas[0], replicas[1]);
        var fallback = s.Cluster.Ids.Single(id => !replicas.Contains(id));
        s.Write(a, "k", new Mutation.Put(Bytes("v1"), null), ConsistencyLevel.All);

        // The replica goes down; a delete of v1 meant for it waits as a hint on the fallback.
        s.Cluster.Crash(a);
        s.Quiesce();
        var read = s.Read(b, "k")!;
        s.Write(b, "k", new Mutation.Delete(read.Context), ConsistencyLevel.Quorum);
        Assert.Equal(1, s.Cluster.StoreOf(fallback).HintCounts.GetValueOrDefault(a));

        // It comes back with an empty disk and takes a new write before the hint arrives.
        s.Cluster.Restart(a, amnesia: true);
        s.Quiesce();
        s.Write(a, "k", new Mutation.Put(Bytes("v2"), null), ConsistencyLevel.All);
        Assert.Equal(1, s.ReplayHints(fallback));

        Assert.Equal("v2", Scenario.Text(s.Stored(a, "k")!.Register!.Winner!.Value.Value));
        ConvergeAll(s);
        Assert.All(s.Winners("k"), w => Assert.Equal("v2", w));
    }

    [Fact]
    public void An_old_object_brought_by_anti_entropy_to_the_wiped_replica_does_not_hide_its_new_writes()
    {
        var s = new Scenario();
        s.Write("n1", "k", new Mutation.Put(Bytes("v1"), null), ConsistencyLevel.All);
        s.Write("n1", "set", new Mutation.SetAdd([Bytes("x1")]), ConsistencyLevel.All);
        Wipe(s, "n1");

        // Cut off from the others, the wiped replica takes writes that only it holds.
        foreach (var other in new[] { "n2", "n3" })
        {
            s.Cluster.Network.Cut("n1", other);
        }

        s.Write("n1", "k", new Mutation.Put(Bytes("v2"), null), ConsistencyLevel.One);
        s.Write("n1", "set", new Mutation.SetAdd([Bytes("x2")]), ConsistencyLevel.One);
        s.Cluster.Network.MendAll();

        // Anti-entropy (not the hints it holds) brings the old objects back to it, and its new ones out.
        s.AntiEntropy("n2", "n1");
        s.AntiEntropy("n3", "n1");
        Assert.All(s.Winners("k"), w => Assert.Equal("v2", w));
        Assert.All(s.Cluster.Replicas(Bytes("set")), r => Assert.Equal(["x1", "x2"], s.Elements(r, "set")));
    }

    /// <summary>The node's process dies and it restarts on an empty data directory under the same node id.</summary>
    private static void Wipe(Scenario s, string node, bool keepEpoch = false)
    {
        s.Cluster.Crash(node);
        s.Quiesce();
        s.Cluster.Restart(node, amnesia: true, keepEpoch: keepEpoch);
        s.Quiesce();
    }

    /// <summary>Hints, then anti-entropy between every pair, as the simulator heals.</summary>
    private static void ConvergeAll(Scenario s)
    {
        foreach (var node in s.Cluster.Running.Select(n => n.Id).ToList())
        {
            s.ReplayHints(node);
        }

        foreach (var node in s.Cluster.Running.Select(n => n.Id).ToList())
        {
            foreach (var peer in s.Cluster[node].Router.Current.SharedRanges.Keys.Order(StringComparer.Ordinal).ToList())
            {
                s.AntiEntropy(node, peer);
            }
        }
    }
}
