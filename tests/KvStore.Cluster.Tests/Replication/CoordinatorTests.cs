using System.Text;
using KvStore.Cluster.Replication;
using KvStore.Core.Crdt;

namespace KvStore.Cluster.Tests.Replication;

public sealed class CoordinatorTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static byte[] Key(string k) => Encoding.UTF8.GetBytes(k);

    private static byte[] Bytes(string s) => Encoding.UTF8.GetBytes(s);

    private static string? Value(KvObject? obj) => obj?.Register?.Winner is { } w ? Encoding.UTF8.GetString(w.Value.Span) : null;

    private static string[] Members(KvObject? obj) =>
        obj?.Set is { } set ? set.Members.ToArray().Select(m => Encoding.UTF8.GetString(m.Element)).Order(StringComparer.Ordinal).ToArray() : [];

    /// <summary>A key whose preference list does not include <paramref name="node"/>.</summary>
    private static byte[] KeyNotOn(TestCluster cluster, string node)
    {
        for (var i = 0; ; i++)
        {
            var key = Key($"k{i}");
            if (!cluster.Replicas(key).Contains(node))
            {
                return key;
            }
        }
    }

    [Fact]
    public async Task A_quorum_write_reaches_every_replica_and_only_replicas()
    {
        var cluster = new TestCluster(5);
        var key = Key("user:1");
        await cluster["n1"].Coordinator.WriteAsync(key, new Mutation.Put(Bytes("v1"), null), ConsistencyLevel.Quorum, Ct);

        var replicas = cluster.Replicas(key);
        Assert.Equal(3, replicas.Count);
        foreach (var node in cluster.Nodes)
        {
            Assert.Equal(replicas.Contains(node.Id) ? "v1" : null, Value(node.Store.Get(key)));
            Assert.Equal(0, node.Coordinator.Pending);
        }
    }

    [Fact]
    public async Task A_node_outside_the_preference_list_forwards_so_a_replica_mints_the_dot()
    {
        var cluster = new TestCluster(5);
        var key = KeyNotOn(cluster, "n1");
        var replicas = cluster.Replicas(key);

        for (var i = 0; i < 3; i++)
        {
            await cluster["n1"].Coordinator.WriteAsync(key, new Mutation.SetAdd([Bytes($"e{i}")]), ConsistencyLevel.Quorum, Ct);
        }

        var stored = cluster[replicas[0]].Store.Get(key)!;
        Assert.Equal(["e0", "e1", "e2"], Members(stored));
        Assert.All(stored.Clock.Entries.ToArray(), e => Assert.Contains(e.Actor.Node, replicas));
        Assert.Equal(3, cluster["n1"].Counters.Forwarded);
        Assert.Null(cluster["n1"].Store.Get(key));
    }

    [Fact]
    public async Task With_a_replica_down_a_quorum_write_succeeds_and_its_hint_is_delivered_when_it_returns()
    {
        var cluster = new TestCluster(5);
        var key = Key("user:2");
        var replicas = cluster.Replicas(key);
        var down = replicas[2];
        cluster.SetDown(down, true);

        await cluster[replicas[0]].Coordinator.WriteAsync(key, new Mutation.Put(Bytes("v"), null), ConsistencyLevel.All, Ct);

        // ALL is met by the sloppy quorum: the fallback that took the hint counts.
        Assert.Null(cluster[down].Store.Get(key));
        var holders = cluster.Nodes.Where(n => n.Store.HintCounts.ContainsKey(down)).Select(n => n.Id).ToList();
        var holder = Assert.Single(holders);
        Assert.DoesNotContain(holder, replicas);
        Assert.Equal(1, cluster[replicas[0]].Counters.HintsHandedOff);

        cluster.SetDown(down, false);
        Assert.Equal(1, await cluster[holder].Handoff.ReplayOnceAsync(Ct));
        Assert.Equal("v", Value(cluster[down].Store.Get(key)));
        Assert.Empty(cluster[holder].Store.HintCounts);
    }

    [Fact]
    public async Task Three_nodes_one_down_keep_the_hint_on_the_coordinator_and_deliver_it_on_return()
    {
        var cluster = new TestCluster(3);
        cluster.SetDown("n3", true);
        var keys = Enumerable.Range(0, 20).Select(i => Key($"k{i}")).ToList();
        foreach (var key in keys)
        {
            await cluster["n1"].Coordinator.WriteAsync(key, new Mutation.SetAdd([Bytes("x")]), ConsistencyLevel.Quorum, Ct);
        }

        // No node outside the preference list exists, so no other node can take the hint.
        Assert.Equal(20, cluster["n1"].Store.HintCounts["n3"]);
        Assert.Equal(20, cluster["n1"].Counters.HintsStoredLocally);

        cluster.SetDown("n3", false);
        Assert.Equal(20, await cluster["n1"].Handoff.ReplayOnceAsync(Ct));
        foreach (var key in keys)
        {
            Assert.Equal(["x"], Members(await cluster["n3"].Coordinator.ReadAsync(key, ConsistencyLevel.One, Ct)));
        }
    }

    [Fact]
    public async Task Too_few_replicas_make_a_quorum_write_unavailable_with_the_count_but_one_still_succeeds()
    {
        var cluster = new TestCluster(3);
        cluster.SetDown("n2", true);
        cluster.SetDown("n3", true);
        var key = Key("k");

        var e = await Assert.ThrowsAsync<ReplicaUnavailableException>(() =>
            cluster["n1"].Coordinator.WriteAsync(key, new Mutation.Put(Bytes("v"), null), ConsistencyLevel.Quorum, Ct));
        Assert.Equal("only 1 of 3 replicas acknowledged the write (2 needed); it may still have been applied on some replicas", e.Message);

        // The write was stored here and is held as hints for the others.
        Assert.Equal("v", Value(cluster["n1"].Store.Get(key)));
        await cluster["n1"].Coordinator.WriteAsync(key, new Mutation.Put(Bytes("w"), null), ConsistencyLevel.One, Ct);

        var read = await Assert.ThrowsAsync<ReplicaUnavailableException>(() => cluster["n1"].Coordinator.ReadAsync(key, ConsistencyLevel.Quorum, Ct));
        Assert.Equal("only 1 of 3 replicas of the key are up (2 needed)", read.Message);
        Assert.Equal("w", Value(await cluster["n1"].Coordinator.ReadAsync(key, ConsistencyLevel.One, Ct)));
    }

    [Fact]
    public async Task A_read_merges_replies_and_repairs_the_stale_replica()
    {
        var cluster = new TestCluster(3);
        var key = Key("s");
        await cluster["n1"].Coordinator.WriteAsync(key, new Mutation.SetAdd([Bytes("a")]), ConsistencyLevel.All, Ct);

        // n2 alone learns "b", as if replication to the others had been lost.
        await cluster["n2"].Replica.WriteAsync(key, new Mutation.SetAdd([Bytes("b")]), Ct);
        Assert.Equal(["a"], Members(cluster["n3"].Store.Get(key)));

        var read = await cluster["n3"].Coordinator.ReadAsync(key, ConsistencyLevel.All, Ct);
        Assert.Equal(["a", "b"], Members(read));
        foreach (var node in cluster.Nodes)
        {
            Assert.Equal(["a", "b"], Members(node.Store.Get(key)));
        }

        Assert.Equal(2, cluster["n3"].Counters.ReadRepairs);
    }

    [Fact]
    public async Task A_remove_with_a_context_from_other_replicas_removes_what_the_coordinator_had_not_received()
    {
        var cluster = new TestCluster(3);
        var key = Key("s");
        await cluster["n1"].Coordinator.WriteAsync(key, new Mutation.SetAdd([Bytes("a")]), ConsistencyLevel.All, Ct);

        // "b" reaches n2 and n3 only; a client reads it from n2 and removes it through n1.
        var added = await cluster["n2"].Replica.WriteAsync(key, new Mutation.SetAdd([Bytes("b")]), Ct);
        await cluster["n3"].Replica.MergeAsync(key, added!, Ct);
        var seen = cluster["n2"].Store.Get(key)!.Context;
        Assert.Equal(["a"], Members(cluster["n1"].Store.Get(key)));

        cluster.SetDown("n2", true);
        await cluster["n1"].Coordinator.WriteAsync(key, new Mutation.SetRemove([Bytes("b")], seen), ConsistencyLevel.Quorum, Ct);
        cluster.SetDown("n2", false);
        await cluster["n1"].Handoff.ReplayOnceAsync(Ct);

        Assert.Equal(1, cluster["n1"].Counters.ContextCatchUps);
        foreach (var node in cluster.Nodes)
        {
            Assert.Equal(["a"], Members(node.Store.Get(key)));
        }
    }

    [Fact]
    public async Task A_wrong_type_refusal_travels_back_through_a_forwarding_node()
    {
        var cluster = new TestCluster(5);
        var key = KeyNotOn(cluster, "n1");
        await cluster["n1"].Coordinator.WriteAsync(key, new Mutation.Put(Bytes("v"), null), ConsistencyLevel.Quorum, Ct);

        var e = await Assert.ThrowsAsync<MutationRejectedException>(() =>
            cluster["n1"].Coordinator.WriteAsync(key, new Mutation.SetAdd([Bytes("x")]), ConsistencyLevel.Quorum, Ct));
        Assert.Equal(RejectReason.WrongType, e.Reason);
    }

    [Fact]
    public async Task A_read_of_replicas_holding_different_types_fails_as_a_type_conflict_not_as_unavailable()
    {
        var cluster = new TestCluster(3);
        var key = Key("split");
        var replicas = cluster.Replicas(key);

        // Two sides of a partition created the key with different types.
        await cluster[replicas[0]].Replica.WriteAsync(key, new Mutation.Put(Bytes("v"), null), Ct);
        await cluster[replicas[1]].Replica.WriteAsync(key, new Mutation.SetAdd([Bytes("x")]), Ct);
        await cluster[replicas[2]].Replica.WriteAsync(key, new Mutation.SetAdd([Bytes("y")]), Ct);

        var e = await Assert.ThrowsAsync<MutationRejectedException>(() =>
            cluster[replicas[0]].Coordinator.ReadAsync(key, ConsistencyLevel.All, Ct));
        Assert.Equal(RejectReason.WrongType, e.Reason);
    }

    [Fact]
    public async Task A_forwarded_write_whose_answer_was_lost_is_not_retried_elsewhere()
    {
        var cluster = new TestCluster(5);
        var key = KeyNotOn(cluster, "n1");
        var first = cluster.Replicas(key)[0];
        cluster.LoseAnswersFrom(first);

        var e = await Assert.ThrowsAsync<ReplicaUnavailableException>(() =>
            cluster["n1"].Coordinator.WriteAsync(key, new Mutation.SetAdd([Bytes("x")]), ConsistencyLevel.Quorum, Ct));
        Assert.StartsWith($"replica {first}, which coordinates this key's writes, did not confirm the write", e.Message);

        // It ran once, on the first replica; no second dot was minted anywhere.
        var stored = cluster[first].Store.Get(key)!;
        Assert.Equal(["x"], Members(stored));
        Assert.Single(stored.Set!.Members[0].Dots);
        Assert.Equal(1, cluster["n1"].Counters.Forwarded);
    }

    [Fact]
    public async Task A_forward_refused_at_connect_moves_to_the_next_replica_and_with_none_left_nothing_is_written()
    {
        var cluster = new TestCluster(5);
        var key = KeyNotOn(cluster, "n1");
        var replicas = cluster.Replicas(key);

        // Membership still says alive, but the connection is refused: the next replica coordinates.
        cluster.RefuseConnections(replicas[0]);
        await cluster["n1"].Coordinator.WriteAsync(key, new Mutation.Put(Bytes("v"), null), ConsistencyLevel.One, Ct);
        Assert.Equal("v", Value(cluster[replicas[1]].Store.Get(key)));

        cluster.SetDown(replicas[1], true);
        cluster.SetDown(replicas[2], true);
        var e = await Assert.ThrowsAsync<ReplicaUnavailableException>(() =>
            cluster["n1"].Coordinator.WriteAsync(key, new Mutation.Put(Bytes("w"), null), ConsistencyLevel.One, Ct));
        Assert.Equal("none of the key's 3 replicas could be reached; nothing was written", e.Message);
        Assert.All(cluster.Nodes, n => Assert.NotEqual("w", Value(n.Store.Get(key))));
    }

    [Fact]
    public async Task A_remove_whose_context_cannot_be_gathered_is_refused_and_changes_nothing()
    {
        var cluster = new TestCluster(3);
        var key = Key("s");
        await cluster["n1"].Coordinator.WriteAsync(key, new Mutation.SetAdd([Bytes("a")]), ConsistencyLevel.All, Ct);

        // "b" is only on n2, which then goes down; a client that read n2 removes "b" through n1.
        await cluster["n2"].Replica.WriteAsync(key, new Mutation.SetAdd([Bytes("b")]), Ct);
        var seen = cluster["n2"].Store.Get(key)!.Context;
        cluster.SetDown("n2", true);

        var e = await Assert.ThrowsAsync<ReplicaUnavailableException>(() =>
            cluster["n1"].Coordinator.WriteAsync(key, new Mutation.SetRemove([Bytes("a"), Bytes("b")], seen), ConsistencyLevel.One, Ct));
        Assert.Contains("nothing was changed", e.Message);
        Assert.Equal(["a"], Members(cluster["n1"].Store.Get(key)));

        // Once n2 is back, the same remove gathers "b" and removes both everywhere.
        cluster.SetDown("n2", false);
        await cluster["n1"].Coordinator.WriteAsync(key, new Mutation.SetRemove([Bytes("a"), Bytes("b")], seen), ConsistencyLevel.All, Ct);
        Assert.All(cluster.Nodes, n => Assert.Empty(Members(n.Store.Get(key))));
    }

    [Fact]
    public async Task A_hint_for_a_node_that_is_not_a_member_is_refused()
    {
        var cluster = new TestCluster(3);
        var obj = (await cluster["n1"].Replica.WriteAsync(Key("k"), new Mutation.Put(Bytes("v"), null), Ct))!;

        var e = await Assert.ThrowsAsync<RequestRejectedException>(() => cluster["n2"].Handler.MergeAsync(Key("k"), obj, "stranger", Ct));
        Assert.Equal("stranger is not a member of the ring; no hint is kept for it", e.Message);
        Assert.Empty(cluster["n2"].Store.HintCounts);
    }

    [Fact]
    public async Task A_hint_the_target_refuses_for_a_bound_stays_and_does_not_hold_back_the_others()
    {
        var cluster = new TestCluster(3);
        cluster.SetDown("n3", true);
        foreach (var k in new[] { "a", "b", "c" })
        {
            await cluster["n1"].Coordinator.WriteAsync(Key(k), new Mutation.SetAdd([Bytes("x"), Bytes("y")]), ConsistencyLevel.Quorum, Ct);
        }

        // n3 is back but refuses "a" for a bound (as if the merged object passed its size limit).
        cluster.SetDown("n3", false);
        cluster["n3"].Store.RefuseUpdatesOf(Key("a"));

        Assert.Equal(2, await cluster["n1"].Handoff.ReplayOnceAsync(Ct));
        Assert.Equal(["x", "y"], Members(cluster["n3"].Store.Get(Key("b"))));
        Assert.Equal(["x", "y"], Members(cluster["n3"].Store.Get(Key("c"))));
        Assert.Equal(1, cluster["n1"].Store.HintCounts["n3"]);
    }
}
