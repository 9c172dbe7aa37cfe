using System.Text;
using KvStore.Cluster.Tests.Replication;
using KvStore.Cluster.Tombstones;
using KvStore.Core.Crdt;
using Microsoft.Extensions.Time.Testing;

namespace KvStore.Cluster.Tests.Tombstones;

/// <summary>
/// Deletes against partitions, down nodes and stale hints: a concurrent add survives a delete, and a
/// collected tombstone never comes back through anti-entropy, hint replay or read repair.
/// </summary>
public sealed class TombstoneCollectionTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static byte[] Bytes(string s) => Encoding.UTF8.GetBytes(s);

    private static string? Value(KvObject? obj) => obj?.Register?.Winner is { } w ? Encoding.UTF8.GetString(w.Value.Span) : null;

    private static string[] Members(KvObject? obj) =>
        obj?.Set is { } set ? set.Members.ToArray().Select(m => Encoding.UTF8.GetString(m.Element)).Order(StringComparer.Ordinal).ToArray() : [];

    /// <summary>Hint replay on every node, then anti-entropy between every pair of alive nodes that share ranges.</summary>
    private static async Task ConvergeAsync(TestCluster cluster)
    {
        foreach (var node in cluster.Nodes)
        {
            await node.Handoff.ReplayOnceAsync(Ct);
        }

        foreach (var node in cluster.Nodes)
        {
            var table = node.Router.Current;
            foreach (var (peer, ranges) in table.SharedRanges)
            {
                if (table.IsAlive(peer) && table.IsAlive(node.Id))
                {
                    await node.Exchange.RunAsync(table.Find(peer)!, ranges, Ct);
                }
            }
        }
    }

    /// <summary>Two passes of the key's collector: the first finds it stable, the second (no grace in these tests) collects it.</summary>
    private static async Task CollectAsync(TestCluster cluster, byte[] key)
    {
        var collector = cluster[cluster.Replicas(key)[0]].Collector;
        await collector.RunPassAsync(Ct);
        await collector.RunPassAsync(Ct);
    }

    private static bool HeldAnywhere(TestCluster cluster, byte[] key) =>
        cluster.Nodes.Any(n => n.Store.Get(key) is not null || n.Store.HintsForKey(key).Count > 0);

    /// <summary>Anti-entropy, hint replay and a read with read repair from every node: the key must stay absent.</summary>
    private static async Task AssertStaysGoneAsync(TestCluster cluster, byte[] key)
    {
        await ConvergeAsync(cluster);
        foreach (var node in cluster.Nodes)
        {
            Assert.Null(await node.Coordinator.ReadAsync(key, ConsistencyLevel.All, Ct));
        }

        await ConvergeAsync(cluster);
        Assert.False(HeldAnywhere(cluster, key));
    }

    [Fact]
    public async Task A_delete_on_one_side_of_a_partition_loses_to_a_concurrent_add_and_put_on_the_other()
    {
        var cluster = new TestCluster(5);
        var set = Bytes("set");
        var register = Bytes("register");
        await cluster["n1"].Coordinator.WriteAsync(set, new Mutation.SetAdd([Bytes("a")]), ConsistencyLevel.All, Ct);
        await cluster["n1"].Coordinator.WriteAsync(register, new Mutation.Put(Bytes("old"), null), ConsistencyLevel.All, Ct);

        foreach (var key in new[] { set, register })
        {
            var replicas = cluster.Replicas(key);
            var seen = (await cluster[replicas[0]].Coordinator.ReadAsync(key, ConsistencyLevel.All, Ct))!.Context;

            // The first replica alone on one side: it deletes what it has seen; the other two add again meanwhile.
            cluster.Partition(replicas[0]);
            var deleted = await cluster[replicas[0]].Coordinator.WriteAsync(key, new Mutation.Delete(seen), ConsistencyLevel.One, Ct);
            Assert.False(deleted!.IsLive);
            var mutation = key == set ? (Mutation)new Mutation.SetAdd([Bytes("a")]) : new Mutation.Put(Bytes("new"), null);
            await cluster[replicas[1]].Coordinator.WriteAsync(key, mutation, ConsistencyLevel.Quorum, Ct);
            cluster.Heal();
        }

        await ConvergeAsync(cluster);
        await CollectAsync(cluster, set);
        await CollectAsync(cluster, register);

        foreach (var key in new[] { set, register })
        {
            foreach (var replica in cluster.Replicas(key))
            {
                var held = cluster[replica].Store.Get(key);
                Assert.True(held is { IsLive: true }, $"{replica} lost the concurrent write of {Encoding.UTF8.GetString(key)}");
            }
        }

        Assert.Equal(["a"], Members(await cluster["n4"].Coordinator.ReadAsync(set, ConsistencyLevel.All, Ct)));
        Assert.Equal("new", Value(await cluster["n4"].Coordinator.ReadAsync(register, ConsistencyLevel.All, Ct)));
        Assert.All(cluster.Nodes, n => Assert.Equal(0, n.TombstoneCounters.Collected));
    }

    [Fact]
    public async Task A_delete_with_no_concurrent_add_is_removed_from_every_replica_and_never_comes_back()
    {
        var cluster = new TestCluster(5);
        var key = Bytes("gone");
        var replicas = cluster.Replicas(key);
        await cluster["n1"].Coordinator.WriteAsync(key, new Mutation.Put(Bytes("v1"), null), ConsistencyLevel.All, Ct);

        // The third replica misses the delete; a fallback holds it as a hint; the replica still holds v1.
        cluster.SetDown(replicas[2], true);
        await cluster[replicas[0]].Coordinator.WriteAsync(key, new Mutation.Delete(null), ConsistencyLevel.Quorum, Ct);
        cluster.SetDown(replicas[2], false);
        Assert.Equal("v1", Value(cluster[replicas[2]].Store.Get(key)));

        // Not stable yet: one replica holds the old value and a fallback holds a hint for the key.
        await CollectAsync(cluster, key);
        Assert.NotNull(cluster[replicas[0]].Store.Get(key));
        Assert.True(cluster[replicas[0]].TombstoneCounters.SkippedNotStable > 0);

        await ConvergeAsync(cluster);
        await CollectAsync(cluster, key);

        foreach (var node in cluster.Nodes)
        {
            Assert.Null(node.Store.Get(key));
            Assert.DoesNotContain(key, node.Store.Keys, ByteArrayComparer);
            Assert.Empty(node.Store.ListTombstones(null, 10));
        }

        Assert.Equal(3, cluster.Nodes.Sum(n => n.TombstoneCounters.Collected));
        await AssertStaysGoneAsync(cluster, key);

        // Written again, the key counts past the old dots on every replica that collected it.
        var again = await cluster[replicas[0]].Coordinator.WriteAsync(key, new Mutation.Put(Bytes("v2"), null), ConsistencyLevel.All, Ct);
        Assert.Equal("v2", Value(again));
    }

    [Fact]
    public async Task Collection_waits_while_any_ring_member_is_down()
    {
        var cluster = new TestCluster(5);
        var key = Bytes("waiting");
        var replicas = cluster.Replicas(key);
        var outsider = cluster.Nodes.First(n => !replicas.Contains(n.Id)).Id;
        await cluster["n1"].Coordinator.WriteAsync(key, new Mutation.Put(Bytes("v1"), null), ConsistencyLevel.All, Ct);
        await cluster["n1"].Coordinator.WriteAsync(key, new Mutation.Delete(null), ConsistencyLevel.All, Ct);

        // A replica down, then a node that is no replica (it could hold a hint): neither may be skipped.
        foreach (var down in new[] { replicas[2], outsider })
        {
            cluster.SetDown(down, true);
            await CollectAsync(cluster, key);
            Assert.All(replicas.Where(r => r != down), r => Assert.NotNull(cluster[r].Store.Get(key)));
            cluster.SetDown(down, false);
        }

        // A member that is marked alive but does not answer blocks it too.
        cluster.LoseAnswersFrom(outsider);
        await CollectAsync(cluster, key);
        Assert.NotNull(cluster[replicas[0]].Store.Get(key));
        Assert.Equal(0, cluster.Nodes.Sum(n => n.TombstoneCounters.Collected));
    }

    [Fact]
    public async Task A_hint_holding_the_value_from_before_the_delete_blocks_collection_until_it_is_delivered()
    {
        var cluster = new TestCluster(5);
        var key = Bytes("hinted");
        var replicas = cluster.Replicas(key);

        // v1 reaches the third replica only as a hint, still undelivered when the delete reaches all three.
        cluster.SetDown(replicas[2], true);
        await cluster[replicas[0]].Coordinator.WriteAsync(key, new Mutation.Put(Bytes("v1"), null), ConsistencyLevel.Quorum, Ct);
        cluster.SetDown(replicas[2], false);
        var holder = cluster.Nodes.Single(n => n.Store.HintsForKey(key).Count > 0);
        await cluster[replicas[0]].Coordinator.WriteAsync(key, new Mutation.Delete(null), ConsistencyLevel.All, Ct);
        Assert.All(replicas, r => Assert.False(cluster[r].Store.Get(key)!.IsLive));

        // Collected now, the hint's replay would bring v1 back.
        await CollectAsync(cluster, key);
        Assert.All(replicas, r => Assert.NotNull(cluster[r].Store.Get(key)));
        Assert.Single(holder.Store.HintsForKey(key));

        await holder.Handoff.ReplayOnceAsync(Ct);
        Assert.Empty(holder.Store.HintsForKey(key));
        await CollectAsync(cluster, key);
        Assert.All(replicas, r => Assert.Null(cluster[r].Store.Get(key)));
        await AssertStaysGoneAsync(cluster, key);
    }

    [Fact]
    public async Task A_stable_tombstone_is_collected_only_after_the_grace_and_a_second_check()
    {
        var time = new FakeTimeProvider();
        var cluster = new TestCluster(3, tombstones: new TombstoneOptions { Grace = TimeSpan.FromMinutes(1) }, time: time);
        var key = Bytes("graced");
        var replicas = cluster.Replicas(key);
        await cluster["n1"].Coordinator.WriteAsync(key, new Mutation.SetAdd([Bytes("x")]), ConsistencyLevel.All, Ct);
        await cluster["n1"].Coordinator.WriteAsync(key, new Mutation.SetRemove([Bytes("x")], null), ConsistencyLevel.All, Ct);
        var collector = cluster[replicas[0]].Collector;

        Assert.Equal(new CollectionPass(1, 1, 0), await collector.RunPassAsync(Ct));
        time.Advance(TimeSpan.FromSeconds(59));
        Assert.Equal(new CollectionPass(0, 0, 0), await collector.RunPassAsync(Ct));
        Assert.All(replicas, r => Assert.NotNull(cluster[r].Store.Get(key)));

        // Added again during the grace, on one replica only: the second check finds the replicas differ.
        await cluster[replicas[1]].Replica.WriteAsync(key, new Mutation.SetAdd([Bytes("y")]), Ct);
        time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(0, (await collector.RunPassAsync(Ct)).Collected);
        await ConvergeAsync(cluster);
        Assert.All(replicas, r => Assert.Equal(["y"], Members(cluster[r].Store.Get(key))));
    }

    /// <summary>
    /// A node outside the key's preference list keeps a copy from before the ring changed: an old
    /// live value blocks collection (it would come back if the ring changed back), and a copy of
    /// the tombstone is removed with the replicas' ones.
    /// </summary>
    [Fact]
    public async Task A_stray_copy_outside_the_preference_list_blocks_collection_or_is_collected_with_the_replicas()
    {
        var cluster = new TestCluster(5);
        var key = Bytes("stray");
        var replicas = cluster.Replicas(key);
        var stray = cluster.Nodes.First(n => !replicas.Contains(n.Id));
        var written = await cluster[replicas[0]].Coordinator.WriteAsync(key, new Mutation.Put(Bytes("v1"), null), ConsistencyLevel.All, Ct);
        await stray.Replica.MergeAsync(key, written!, Ct);
        var tombstone = await cluster[replicas[0]].Coordinator.WriteAsync(key, new Mutation.Delete(null), ConsistencyLevel.All, Ct);

        await CollectAsync(cluster, key);
        Assert.All(replicas, r => Assert.NotNull(cluster[r].Store.Get(key)));

        await stray.Replica.MergeAsync(key, tombstone!, Ct);
        await CollectAsync(cluster, key);
        Assert.False(HeldAnywhere(cluster, key));
        Assert.Equal(4, cluster.Nodes.Sum(n => n.TombstoneCounters.Collected));
    }

    private static readonly IEqualityComparer<byte[]> ByteArrayComparer = Core.Crdt.ByteOrder.Instance;
}
