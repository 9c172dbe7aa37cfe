using System.Text;
using KvStore.Cluster.Tests.Replication;
using KvStore.Core.Crdt;

namespace KvStore.Cluster.Tests.Handoff;

/// <summary>Ranges move from whichever old replica holds the data, not from one chosen replica.</summary>
public sealed class HandoffHolderTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>
    /// Found by the simulator (seeds 72 and 194 of 200): a replica came back empty after losing its
    /// disk, the write lived on another replica only, and a join moved the key. The plan had only
    /// the first old replica push, which held nothing, so the write was stranded on a node no
    /// longer asked for the key.
    /// </summary>
    [Fact]
    public async Task A_write_held_only_by_a_later_replica_reaches_the_node_that_joins()
    {
        var cluster = new TestCluster(4);
        var harness = new HandoffHarness(cluster);
        var keys = Enumerable.Range(0, 200).Select(i => Encoding.UTF8.GetBytes($"key-{i:D4}")).ToList();
        foreach (var key in keys)
        {
            // Only the second replica holds the write: the first lost its copy.
            await cluster[cluster.Replicas(key)[1]].Replica.WriteAsync(key, new Mutation.Put(key, null), Ct);
        }

        cluster.AddNode("n5");
        harness.Attach(cluster["n5"]);
        await harness.RunAllAsync(Ct);

        var moved = keys.Where(k => cluster.Replicas(k).Contains("n5")).ToList();
        Assert.NotEmpty(moved);
        var missing = moved.Where(k => cluster["n5"].Store.Get(k) is not { IsLive: true }).Select(k => Encoding.UTF8.GetString(k)).ToList();
        Assert.True(missing.Count == 0, $"{missing.Count} of {moved.Count} keys n5 now replicates did not reach it, e.g. {string.Join(", ", missing.Take(5))}");
    }
}
