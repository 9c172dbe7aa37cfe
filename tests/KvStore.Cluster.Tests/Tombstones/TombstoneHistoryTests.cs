using System.Text;
using KvStore.Cluster.Tests.Replication;
using KvStore.Core.Crdt;
using KvStore.Core.Serialization;

namespace KvStore.Cluster.Tests.Tombstones;

/// <summary>
/// Random histories of set additions and deletes across random partitions, with collector passes,
/// anti-entropy and hint replay at random moments. After healing, every element survives exactly
/// when no delete saw it (add wins over a concurrent delete), and every key that ends deleted is
/// collected from every node and stays gone. Seeded; a failure names its seed, and
/// TOMBSTONE_SEED=SEED replays it.
/// </summary>
public sealed class TombstoneHistoryTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static IEnumerable<int> Seeds() =>
        Environment.GetEnvironmentVariable("TOMBSTONE_SEED") is { Length: > 0 } replay
            ? [int.Parse(replay, System.Globalization.CultureInfo.InvariantCulture)]
            : Enumerable.Range(0, 3).Select(_ => Random.Shared.Next());

    [Fact]
    public async Task Adds_concurrent_with_deletes_survive_and_deleted_keys_are_collected_for_good()
    {
        foreach (var seed in Seeds())
        {
            try
            {
                await RunAsync(seed);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                throw new InvalidOperationException($"failed with seed {seed} (replay: TOMBSTONE_SEED={seed} dotnet test --project tests/KvStore.Cluster.Tests): {e.Message}", e);
            }
        }
    }

    private static async Task RunAsync(int seed)
    {
        var rng = new Random(seed);
        var cluster = new TestCluster(5);
        var keys = Enumerable.Range(0, 12).Select(i => Encoding.UTF8.GetBytes($"set{i}")).ToArray();
        var added = keys.ToDictionary(k => k, _ => new HashSet<string>(StringComparer.Ordinal), ByteOrder.Instance);
        var seenByDelete = keys.ToDictionary(k => k, _ => new HashSet<string>(StringComparer.Ordinal), ByteOrder.Instance);
        var ids = cluster.Nodes.Select(n => n.Id).ToArray();
        var next = 0;

        for (var step = 0; step < 400; step++)
        {
            var key = keys[rng.Next(keys.Length)];
            var replicas = cluster.Replicas(key);
            var node = cluster[replicas[rng.Next(replicas.Count)]];
            switch (rng.Next(20))
            {
                case < 7:
                {
                    var element = $"e{next++}";
                    await node.Coordinator.WriteAsync(key, new Mutation.SetAdd([Encoding.UTF8.GetBytes(element)]), ConsistencyLevel.One, Ct);
                    added[key].Add(element);
                    break;
                }

                case < 12:
                {
                    // Delete what this replica holds: its own state is the context, so the model knows exactly what the delete saw.
                    if (node.Store.Get(key) is { } held)
                    {
                        await node.Coordinator.WriteAsync(key, new Mutation.Delete(held.Context), ConsistencyLevel.One, Ct);
                        seenByDelete[key].UnionWith(Members(held));
                    }

                    break;
                }

                case 12:
                    cluster.Heal();
                    cluster.Partition([.. ids.Where(_ => rng.Next(2) == 0)]);
                    break;
                case < 15:
                    cluster.Heal();
                    break;
                case < 18:
                    await node.Collector.RunPassAsync(Ct);
                    break;
                case 18:
                    await node.Handoff.ReplayOnceAsync(Ct);
                    break;
                default:
                    await node.AntiEntropy.RunRoundAsync(Ct);
                    break;
            }
        }

        cluster.Heal();
        for (var round = 0; round < 3; round++)
        {
            await ConvergeAsync(cluster);
            foreach (var node in cluster.Nodes)
            {
                await node.Collector.RunPassAsync(Ct);
                await node.Collector.RunPassAsync(Ct);
            }
        }

        await ConvergeAsync(cluster);
        foreach (var key in keys)
        {
            var expected = added[key].Except(seenByDelete[key]).Order(StringComparer.Ordinal).ToList();
            var name = Encoding.UTF8.GetString(key);
            foreach (var node in cluster.Nodes)
            {
                var held = node.Store.Get(key);
                if (!cluster.Replicas(key).Contains(node.Id))
                {
                    Assert.True(held is null || held.IsLive, $"{node.Id} keeps a stray tombstone of {name}");
                    continue;
                }

                if (expected.Count == 0)
                {
                    Assert.True(held is null, $"{name} was deleted but {node.Id} still holds {Describe(held)}");
                }
                else
                {
                    Assert.Equal(expected, Members(held).Order(StringComparer.Ordinal).ToList());
                }
            }

            // Reads with read repair from every node agree, and bring nothing back.
            foreach (var node in cluster.Nodes)
            {
                Assert.Equal(expected, Members(await node.Coordinator.ReadAsync(key, ConsistencyLevel.All, Ct)).Order(StringComparer.Ordinal).ToList());
            }
        }

        await ConvergeAsync(cluster);
        var deleted = keys.Where(k => !added[k].Except(seenByDelete[k]).Any()).ToList();
        foreach (var key in deleted)
        {
            Assert.All(cluster.Nodes, n => Assert.Null(n.Store.Get(key)));
        }

        // Each deleted key was collected from its three replicas at least once.
        var collected = cluster.Nodes.Sum(n => n.TombstoneCounters.Collected);
        Assert.True(collected >= 3 * deleted.Count, $"{collected} collections for {deleted.Count} deleted keys");
        TestContext.Current.TestOutputHelper?.WriteLine($"seed {seed}: {deleted.Count} of {keys.Length} keys deleted, {collected} collections, {cluster.Nodes.Sum(n => n.TombstoneCounters.SkippedNotStable)} not stable");
    }

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
                await node.Exchange.RunAsync(table.Find(peer)!, ranges, Ct);
            }
        }
    }

    private static IEnumerable<string> Members(KvObject? obj) =>
        obj?.Set is { } set ? set.Members.ToArray().Select(m => Encoding.UTF8.GetString(m.Element)) : [];

    private static string Describe(KvObject? obj) => obj is null ? "nothing" : Convert.ToHexString(ObjectCodec.Encode(obj));
}
