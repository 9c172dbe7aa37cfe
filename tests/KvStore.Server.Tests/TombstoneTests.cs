using Google.Protobuf;
using KvStore.Protocol.V1;
using KvStore.Testing;

namespace KvStore.Server.Tests;

/// <summary>Tombstone collection between real nodes, over the peer protocol.</summary>
public sealed class TombstoneTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static ByteString B(string s) => ByteString.CopyFromUtf8(s);

    /// <summary>
    /// Two nodes (both replicas of every key): a deleted register and an emptied set are removed from
    /// both nodes' storage once both hold the tombstones; a key that stays live is kept.
    /// </summary>
    [Fact]
    public async Task Two_nodes_collect_deleted_keys_from_storage_and_keep_live_ones()
    {
        var environment = new Dictionary<string, string>
        {
            ["KVSTORE_TOMBSTONES__INTERVAL"] = "00:00:00.200",
            ["KVSTORE_TOMBSTONES__GRACE"] = "00:00:00",
        };
        await using var cluster = await LocalCluster.StartAsync(2, Ct, environment);
        await cluster.AllSeeAllAliveAsync(Ct);

        using var channel = Channels.Open(cluster.GrpcEndpoint(0));
        var client = new Protocol.V1.KvStore.KvStoreClient(channel);
        await client.PutAsync(new PutRequest { Key = B("reg"), Value = B("v"), Consistency = Consistency.All }, cancellationToken: Ct);
        await client.PutAsync(new PutRequest { Key = B("kept"), Value = B("v"), Consistency = Consistency.All }, cancellationToken: Ct);
        await client.SetAddAsync(new SetAddRequest { Key = B("set"), Elements = { B("e") }, Consistency = Consistency.All }, cancellationToken: Ct);
        await client.DeleteAsync(new DeleteRequest { Key = B("reg"), Consistency = Consistency.All }, cancellationToken: Ct);
        await client.SetRemoveAsync(new SetRemoveRequest { Key = B("set"), Elements = { B("e") }, Consistency = Consistency.All }, cancellationToken: Ct);

        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        var took = await LocalCluster.WithinAsync(TimeSpan.FromSeconds(30), async () =>
        {
            var collected = 0L;
            for (var node = 0; node < 2; node++)
            {
                var metrics = await http.GetStringAsync($"{cluster.AdminEndpoint(node)}/metrics", Ct);
                var line = metrics.Split('\n').Single(l => l.StartsWith("kvstore_tombstones_total{result=\"collected\"}", StringComparison.Ordinal));
                collected += long.Parse(line.Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture);
            }

            return (collected == 4, $"{collected} tombstones collected");
        }, Ct);
        TestContext.Current.TestOutputHelper?.WriteLine($"collected on both nodes {took.TotalSeconds:F1} s after the deletes");

        // Every replica's storage lacks the deleted keys altogether (no tombstone version either), and holds the live one.
        foreach (var (key, stored) in new[] { ("reg", false), ("set", false), ("kept", true) })
        {
            using var data = await cluster.DebugDataAsync(1, key, Ct);
            var replicas = data.RootElement.GetProperty("replicas").EnumerateArray().ToList();
            Assert.Equal(2, replicas.Count);
            Assert.All(replicas, r => Assert.Equal(stored, r.TryGetProperty("version", out _)));
        }

        Assert.False((await client.GetAsync(new GetRequest { Key = B("reg"), Consistency = Consistency.All }, cancellationToken: Ct)).Found);
        Assert.True((await client.GetAsync(new GetRequest { Key = B("kept"), Consistency = Consistency.All }, cancellationToken: Ct)).Found);
    }

    /// <summary>
    /// A node is killed holding a value; once the survivor has reaped it, the value is deleted and
    /// its tombstone collected. The node comes back after longer than the horizon: it starts empty
    /// as a new incarnation, so anti-entropy has no old copy to bring back.
    /// </summary>
    [Fact]
    public async Task A_node_away_longer_than_the_horizon_starts_empty_so_a_key_collected_meanwhile_stays_gone()
    {
        var environment = new Dictionary<string, string>
        {
            ["KVSTORE_MEMBERSHIP__REAP_AFTER"] = "00:00:03",
            ["KVSTORE_TOMBSTONES__HORIZON"] = "00:00:02",
            ["KVSTORE_TOMBSTONES__ALIVE_MARK_INTERVAL"] = "00:00:00.250",
            ["KVSTORE_TOMBSTONES__INTERVAL"] = "00:00:00.200",
            ["KVSTORE_TOMBSTONES__GRACE"] = "00:00:00",
            ["KVSTORE_ANTIENTROPY__INTERVAL"] = "00:00:00.500",
        };
        await using var cluster = await LocalCluster.StartAsync(2, Ct, environment);
        await cluster.SeesAllAliveAsync(0, Ct);

        using var channel = Channels.Open(cluster.GrpcEndpoint(0));
        var client = new Protocol.V1.KvStore.KvStoreClient(channel);
        await client.PutAsync(new PutRequest { Key = B("k"), Value = B("old"), Consistency = Consistency.All }, cancellationToken: Ct);
        await client.PutAsync(new PutRequest { Key = B("live"), Value = B("v"), Consistency = Consistency.All }, cancellationToken: Ct);

        await cluster.KillAsync(1);
        await LocalCluster.WithinAsync(TimeSpan.FromSeconds(60), async () =>
        {
            var states = await cluster.MemberStatesAsync(0, Ct);
            return (!states.ContainsKey("node2"), string.Join(", ", states));
        }, Ct);

        // Alone on the ring, node1 deletes the key and collects its tombstone.
        await client.DeleteAsync(new DeleteRequest { Key = B("k"), Consistency = Consistency.One }, cancellationToken: Ct);
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        await LocalCluster.WithinAsync(TimeSpan.FromSeconds(30), async () =>
        {
            var collected = Metric(await http.GetStringAsync($"{cluster.AdminEndpoint(0)}/metrics", Ct), "kvstore_tombstones_total{result=\"collected\"}");
            return (collected == 1, $"{collected} collected");
        }, Ct);

        await cluster.StartNodeAsync(1, Ct);
        Assert.Contains("longer than the tombstone horizon", cluster[1].Output, StringComparison.Ordinal);
        await cluster.SeesAllAliveAsync(1, Ct);

        // Anti-entropy fills node2 again with the live key; the collected one does not come back.
        await LocalCluster.WithinAsync(TimeSpan.FromSeconds(30), async () =>
        {
            using var data = await cluster.DebugDataAsync(1, "live", Ct);
            var held = data.RootElement.GetProperty("replicas").EnumerateArray().Count(r => r.TryGetProperty("version", out _));
            return (held == 2, $"{held} replicas hold the live key");
        }, Ct);
        await LocalCluster.WithinAsync(TimeSpan.FromSeconds(30), () =>
            Task.FromResult((cluster[1].Output.Contains("it answers reads again", StringComparison.Ordinal), "node2 still resyncing")), Ct);
        // node1 collected after node2's last mark, so node2's old data stays aside.
        Assert.Contains("node1 collected tombstones at", cluster[1].Output, StringComparison.Ordinal);
        using var gone = await cluster.DebugDataAsync(1, "k", Ct);
        Assert.All(gone.RootElement.GetProperty("replicas").EnumerateArray(), r => Assert.False(r.TryGetProperty("version", out _)));
        Assert.False((await client.GetAsync(new GetRequest { Key = B("k"), Consistency = Consistency.All }, cancellationToken: Ct)).Found);
    }

    private static long Metric(string metrics, string name) =>
        long.Parse(metrics.Split('\n').Single(l => l.StartsWith(name + " ", StringComparison.Ordinal)).Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture);
}
