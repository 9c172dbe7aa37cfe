using KvStore.Cluster;
using KvStore.Core.Crdt;
using KvStore.Simulation.Sim;
using static KvStore.Simulation.Sim.Scenario;

namespace KvStore.Simulation;

/// <summary>What a write with a context supersedes when the coordinating replica could not catch up first (found by the simulator, seed 735).</summary>
public sealed class ContextTests
{
    [Fact]
    public void An_overwrite_made_in_a_partition_and_then_deleted_does_not_bring_the_old_value_back()
    {
        var s = new Scenario();
        Isolate(s, "n1");
        s.Write("n2", "k", new Mutation.Put(Bytes("v1"), null));
        var read = s.Read("n2", "k")!;

        // n1 cannot reach the replicas holding v1, so it overwrites it without holding it, then
        // deletes its own value with a context read from itself.
        s.Write("n1", "k", new Mutation.Put(Bytes("v2"), read.Context), ConsistencyLevel.One);
        var own = s.Read("n1", "k", ConsistencyLevel.One)!;
        s.Write("n1", "k", new Mutation.Delete(own.Context), ConsistencyLevel.One);

        s.Cluster.Network.MendAll();
        foreach (var (a, b) in new[] { ("n1", "n2"), ("n1", "n3"), ("n2", "n3") })
        {
            s.AntiEntropy(a, b);
        }

        // v1 was overwritten by a client that had read it: it must not be the value again.
        Assert.All(s.Winners("k"), w => Assert.Null(w));
    }

    private static void Isolate(Scenario s, string node)
    {
        foreach (var other in s.Cluster.Ids.Where(id => id != node).ToList())
        {
            s.Cluster.Network.Cut(node, other);
            s.Cluster.Network.Cut(other, node);
        }
    }
}
