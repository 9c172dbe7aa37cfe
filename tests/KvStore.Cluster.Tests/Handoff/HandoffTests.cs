using System.Diagnostics;
using System.Text;
using KvStore.Cluster.Handoff;
using KvStore.Cluster.Tests.Replication;
using KvStore.Core.Crdt;
using KvStore.Core.Membership;
using KvStore.Core.Serialization;
using Microsoft.Extensions.Time.Testing;

namespace KvStore.Cluster.Tests.Handoff;

public sealed class HandoffTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static byte[] Key(int i) => Encoding.UTF8.GetBytes($"key-{i:D6}");

    private static Mutation Put(int i) => new Mutation.Put(Encoding.UTF8.GetBytes($"value-{i}"), null);

    private static async Task<Dictionary<string, string>> LoadAsync(TestCluster cluster, HandoffHarness harness, int keys)
    {
        for (var i = 0; i < keys; i++)
        {
            await harness.LoadAsync(Key(i), Put(i), Ct);
        }

        // What every replica of each key holds: the object the test expects to find on its owners.
        var expected = new Dictionary<string, string>(keys);
        for (var i = 0; i < keys; i++)
        {
            var key = Key(i);
            expected[Convert.ToHexString(key)] = Convert.ToHexString(ObjectCodec.Encode(cluster[cluster.Replicas(key)[0]].Store.Get(key)!));
        }

        return expected;
    }

    private static int ShareOf(TestCluster cluster, string node, int keys) =>
        Enumerable.Range(0, keys).Count(i => cluster.Replicas(Key(i)).Contains(node));

    [Fact]
    public async Task A_node_joins_100000_keys_and_receives_its_share_then_a_node_leaves_and_every_key_keeps_N_replicas()
    {
        const int keys = 100_000;
        var clock = Stopwatch.StartNew();
        var cluster = new TestCluster(4);
        var harness = new HandoffHarness(cluster);
        var expected = await LoadAsync(cluster, harness, keys);
        var loaded = clock.Elapsed;

        // Join: n5 takes tokens; for every range it now replicates, the old replicas push to it (one
        // after the other here, so the later ones find nothing left to send).
        var joined = cluster.AddNode("n5");
        harness.Attach(joined);
        Assert.True(await harness.RunAllAsync(Ct) > 0);
        var share = ShareOf(cluster, "n5", keys);
        Assert.InRange(share, keys * 3 / 5 * 8 / 10, keys * 3 / 5 * 12 / 10);    // about N/5 of the keys
        Assert.Equal(share, joined.Store.Keys.Count);                            // it holds exactly its share...
        Assert.Equal(share, harness.Counts.To("n5"));                            // ...each key sent once
        Assert.Equal(share, harness.Counts.Total);                               // and nothing went anywhere else
        Assert.Empty(harness.MissingReplicas(expected, "n1"));
        var totals = new[] { "n1", "n2", "n3", "n4" }.Select(n => harness[n].Totals).ToList();
        Assert.Equal(share, totals.Sum(t => t.KeysSent));                        // the metrics count what moved
        Assert.True(totals.Sum(t => t.Done) > 0 && totals.All(t => t.Abandoned == 0 && t.Unfinished == 0 && t.BytesSent >= t.KeysSent));
        var afterJoin = clock.Elapsed;

        // Graceful leave: n2 announces it, hands its ranges to the nodes that replace it, then goes.
        var sentBefore = harness.Counts.Total;
        cluster.SetState("n2", MemberState.Left);
        Assert.NotEmpty(harness["n2"].Transfers);
        await harness.RunAllAsync(Ct);
        Assert.True(harness["n2"].IsIdle);
        Assert.All(harness["n2"].Transfers, t => Assert.Equal(TransferState.Done, t.State));
        cluster.Remove("n2");
        await harness.RunAllAsync(Ct);

        // Every key on every node: each is held, unchanged, by all N of its replicas.
        var missing = harness.MissingReplicas(expected, "n1");
        Assert.True(missing.Count == 0, $"{missing.Count} replicas missing, e.g. {string.Join(", ", missing.Take(5))}");
        TestContext.Current.TestOutputHelper?.WriteLine(
            $"{keys} keys: load {loaded.TotalSeconds:F1} s, join {(afterJoin - loaded).TotalSeconds:F1} s ({share} keys to n5), " +
            $"leave {(clock.Elapsed - afterJoin).TotalSeconds:F1} s ({harness.Counts.Total - sentBefore} keys moved), checked {keys * 3} replicas");
    }

    [Fact]
    public async Task With_the_worker_started_a_leaving_node_drains_its_transfers_and_the_wait_ends()
    {
        const int keys = 3000;
        var cluster = new TestCluster(4);
        var harness = new HandoffHarness(cluster, new HandoffOptions { MaxBytesPerSecond = 0, MaxConcurrentTransfers = 1 });
        var expected = await LoadAsync(cluster, harness, keys);
        foreach (var node in cluster.Nodes)
        {
            harness[node.Id].Start();
        }

        try
        {
            // Nothing queued: the wait ends at once, as a node with nothing to hand over stops at once.
            Assert.Empty(await harness["n4"].DrainAsync(TimeSpan.FromMinutes(1), Ct));

            cluster.SetState("n4", MemberState.Left);
            var remaining = await harness["n4"].DrainAsync(TimeSpan.FromMinutes(1), Ct);
            Assert.Empty(remaining);
            Assert.True(harness["n4"].Transfers.Count > 1, "one transfer per node replacing n4");
            Assert.All(harness["n4"].Transfers, t => Assert.Equal(TransferState.Done, t.State));
            foreach (var survivor in new[] { "n1", "n2", "n3" })
            {
                Assert.Empty(await harness[survivor].DrainAsync(TimeSpan.FromMinutes(1), Ct));
            }

            cluster.Remove("n4");
            Assert.Empty(harness.MissingReplicas(expected, "n1"));
        }
        finally
        {
            foreach (var node in cluster.Nodes)
            {
                await harness[node.Id].DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task An_interrupted_transfer_resumes_without_resending_what_arrived()
    {
        const int keys = 4000;
        var time = new FakeTimeProvider();
        var cluster = new TestCluster(3);
        var harness = new HandoffHarness(cluster, new HandoffOptions { MaxBytesPerSecond = 0, RetryDelay = TimeSpan.FromSeconds(5) }, time);
        var expected = await LoadAsync(cluster, harness, keys);
        var joined = cluster.AddNode("n4");
        harness.Attach(joined);
        var share = ShareOf(cluster, "n4", keys);

        harness.Counts.StopAfter = share / 3;
        await harness.RunAllAsync(harness.Counts.Interrupt.Token);
        var first = harness.Counts.Total;
        Assert.InRange(first, share / 3, share - 1);
        var interrupted = new[] { "n1", "n2", "n3" }.SelectMany(n => harness[n].Transfers).ToList();
        Assert.Contains(interrupted, t => t.State == TransferState.Failed && t.Error == "stopped");

        // Not before the retry delay...
        Assert.Equal(0, await harness.RunAllAsync(Ct));
        time.Advance(TimeSpan.FromSeconds(5));
        Assert.True(await harness.RunAllAsync(Ct) > 0);

        Assert.Equal(share, harness.Counts.Total);      // the second attempts sent only the rest
        Assert.Equal(share, joined.Store.Keys.Count);
        Assert.Empty(harness.MissingReplicas(expected, "n1"));
        Assert.All(new[] { "n1", "n2", "n3" }.SelectMany(n => harness[n].Transfers), t => Assert.Equal(TransferState.Done, t.State));
    }

    [Fact]
    public async Task A_transfer_to_a_target_that_fails_is_retried_and_abandoned_once_the_target_is_declared_dead()
    {
        const int keys = 2000;
        var time = new FakeTimeProvider();
        var cluster = new TestCluster(4);
        var harness = new HandoffHarness(cluster, new HandoffOptions { MaxBytesPerSecond = 0, RetryDelay = TimeSpan.FromSeconds(5) }, time);
        var expected = await LoadAsync(cluster, harness, keys);
        harness.Attach(cluster.AddNode("n5"));
        cluster.RefuseConnections("n5");

        await harness.RunAllAsync(Ct);
        var toN5 = new[] { "n1", "n2", "n3", "n4" }.SelectMany(n => harness[n].Transfers).Where(t => t.Target == "n5").ToList();
        Assert.NotEmpty(toN5);
        Assert.All(toN5, t => Assert.Equal(TransferState.Failed, t.State));
        Assert.All(toN5, t => Assert.Contains("connection refused", t.Error, StringComparison.Ordinal));

        // Declared dead before the retry: the retry gives up on it, and the ranges n5 took go to
        // the next live node instead, so every key still has N live copies.
        cluster.SetDown("n5", down: true);
        time.Advance(TimeSpan.FromSeconds(5));
        await harness.RunAllAsync(Ct);
        var after = new[] { "n1", "n2", "n3", "n4" }.SelectMany(n => harness[n].Transfers).ToList();
        Assert.All(after.Where(t => t.Target == "n5"), t => Assert.Equal(TransferState.Abandoned, t.State));
        Assert.All(after.Where(t => t.Target != "n5"), t => Assert.Equal(TransferState.Done, t.State));
        Assert.True(after.All(t => !(t.State is TransferState.Pending or TransferState.Running or TransferState.Failed)));
        Assert.Empty(harness.MissingReplicas(expected, "n1"));
        for (var i = 0; i < keys; i++)
        {
            Assert.True(cluster.Nodes.Count(n => n.Id != "n5" && n.Store.Get(Key(i)) is not null) >= 3, $"key {i} has fewer than 3 live copies");
        }
    }

    [Fact]
    public async Task A_transfer_keeps_to_its_byte_rate()
    {
        const int keys = 3000;
        const long rate = 65_536;
        var time = new FakeTimeProvider();
        var cluster = new TestCluster(3);
        var harness = new HandoffHarness(cluster, new HandoffOptions { MaxBytesPerSecond = rate }, time);
        await LoadAsync(cluster, harness, keys);
        harness.Attach(cluster.AddNode("n4"));
        var started = time.GetTimestamp();
        var run = harness.RunAllAsync(Ct);
        for (var steps = 0; !run.IsCompleted && steps < 100_000; steps++)
        {
            time.Advance(TimeSpan.FromMilliseconds(50));
            await Task.WhenAny(run, Task.Delay(1, Ct));
        }

        await run;
        var elapsed = time.GetElapsedTime(started).TotalSeconds;
        var perNode = new[] { "n1", "n2", "n3" }.Select(n => harness[n].Transfers.Sum(t => t.Bytes)).ToList();
        Assert.Equal(ShareOf(cluster, "n4", keys), harness.Counts.Total);

        // The harness runs the nodes one after the other, each with its own bucket, which starts
        // with one second's worth; every byte past that waits at the rate.
        var atLeast = perNode.Sum(b => Math.Max(0, b - rate) / (double)rate);
        Assert.True(perNode.Sum() > 4 * rate, $"too few bytes to measure: {string.Join(", ", perNode)}");
        Assert.True(elapsed >= atLeast, $"{string.Join(" + ", perNode)} bytes in {elapsed:F2} s of the fake clock: faster than {rate} B/s per node allows ({atLeast:F2} s)");
    }

    [Fact]
    public async Task When_a_replica_is_declared_dead_the_survivors_restore_N_live_copies_on_the_next_node()
    {
        const int keys = 3000;
        var cluster = new TestCluster(5);
        var harness = new HandoffHarness(cluster);
        var expected = await LoadAsync(cluster, harness, keys);
        var share = ShareOf(cluster, "n3", keys);

        cluster.SetDown("n3", down: true);
        await harness.RunAllAsync(Ct);

        // Each key n3 replicated was copied once, to the first live node after its preference list.
        Assert.Equal(share, harness.Counts.Total);
        Assert.Empty(harness.MissingReplicas(expected, "n1"));
        var live = cluster.Nodes.Where(n => n.Id != "n3").ToList();
        for (var i = 0; i < keys; i++)
        {
            Assert.Equal(3, live.Count(n => n.Store.Get(Key(i)) is not null));
        }

        // The dead node returns: it was a replica all along, so nothing moves (anti-entropy and
        // hints bring it up to date); its stand-ins keep the extra copies.
        cluster.SetDown("n3", down: false);
        Assert.Equal(0, await harness.RunAllAsync(Ct));
        Assert.Equal(share, harness.Counts.Total);
    }
}
