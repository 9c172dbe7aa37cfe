using System.Globalization;
using System.Text.Json;
using Google.Protobuf;
using KvStore.Protocol.V1;
using KvStore.Testing;

namespace KvStore.Server.Tests;

/// <summary>A whole cluster stopped for longer than the tombstone horizon serves its data again when restarted.</summary>
public sealed class AwayRestartTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static ByteString B(string s) => ByteString.CopyFromUtf8(s);

    private static readonly TimeSpan Horizon = TimeSpan.FromSeconds(2);

    /// <summary>
    /// Three nodes, stopped all at once and kept down past the horizon: each sets its data aside at
    /// start, learns from the others that none collected since, and merges it back, so every key
    /// is served again; a key collected before the stop stays gone.
    /// </summary>
    [Fact]
    public async Task Every_node_of_a_cluster_stopped_longer_than_the_horizon_takes_its_data_back()
    {
        var environment = new Dictionary<string, string>
        {
            ["KVSTORE_MEMBERSHIP__REAP_AFTER"] = "00:00:03",
            ["KVSTORE_TOMBSTONES__HORIZON"] = Horizon.ToString(),
            ["KVSTORE_TOMBSTONES__ALIVE_MARK_INTERVAL"] = "00:00:00.250",
            ["KVSTORE_TOMBSTONES__INTERVAL"] = "00:00:00.200",
            ["KVSTORE_TOMBSTONES__GRACE"] = "00:00:00",
            ["KVSTORE_ANTIENTROPY__INTERVAL"] = "00:00:00.500",
        };
        await using var cluster = await LocalCluster.StartAsync(3, Ct, environment);
        await cluster.SeesAllAliveAsync(0, Ct);

        var keys = Enumerable.Range(0, 40).Select(i => $"k{i:D2}").ToList();
        using (var channel = Channels.Open(cluster.GrpcEndpoint(0)))
        {
            var client = new Protocol.V1.KvStore.KvStoreClient(channel);
            foreach (var key in keys)
            {
                await client.PutAsync(new PutRequest { Key = B(key), Value = B("v-" + key), Consistency = Consistency.All }, cancellationToken: Ct);
            }

            // A tombstone collected on every node before the stop: it must not block the restore, nor come back.
            await client.PutAsync(new PutRequest { Key = B("gone"), Value = B("x"), Consistency = Consistency.All }, cancellationToken: Ct);
            await client.DeleteAsync(new DeleteRequest { Key = B("gone"), Consistency = Consistency.All }, cancellationToken: Ct);
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
            await LocalCluster.WithinAsync(TimeSpan.FromSeconds(60), async () =>
            {
                var collected = 0L;
                for (var i = 0; i < 3; i++)
                {
                    collected += Metric(await http.GetStringAsync($"{cluster.AdminEndpoint(i)}/metrics", Ct), "kvstore_tombstones_total{result=\"collected\"}");
                }

                return (collected == 3, $"{collected} of 3 nodes collected");
            }, Ct);

            // The collection was before each node's last mark: it took part, so it is no reason to keep data aside.
            var collectedBy = DateTimeOffset.UtcNow;
            await LocalCluster.WithinAsync(TimeSpan.FromSeconds(60), async () =>
            {
                var marks = new List<DateTimeOffset>();
                for (var i = 0; i < 3; i++)
                {
                    using var away = JsonDocument.Parse(await http.GetStringAsync($"{cluster.AdminEndpoint(i)}/debug/away", Ct));
                    Assert.Equal("none", away.RootElement.GetProperty("phase").GetString());
                    Assert.True(away.RootElement.GetProperty("lastCollection").GetDateTimeOffset() <= collectedBy);
                    marks.Add(away.RootElement.GetProperty("lastAliveMark").GetDateTimeOffset());
                }

                return (marks.All(m => m > collectedBy), string.Join(", ", marks));
            }, Ct);
        }

        for (var i = 0; i < 3; i++)
        {
            await cluster.KillAsync(i);
        }

        // Every node's last mark was taken before its kill; past this, each is away longer than the horizon.
        await Task.Delay(Horizon + TimeSpan.FromSeconds(1), Ct);
        for (var i = 0; i < 3; i++)
        {
            await cluster.StartNodeAsync(i, Ct);
        }

        for (var i = 0; i < 3; i++)
        {
            Assert.Contains("longer than the tombstone horizon", cluster[i].Output, StringComparison.Ordinal);
        }

        using (var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) })
        {
            await LocalCluster.WithinAsync(TimeSpan.FromSeconds(90), async () =>
            {
                var phases = new List<string>();
                for (var i = 0; i < 3; i++)
                {
                    using var away = JsonDocument.Parse(await http.GetStringAsync($"{cluster.AdminEndpoint(i)}/debug/away", Ct));
                    phases.Add($"{away.RootElement.GetProperty("phase").GetString()} refusing reads {away.RootElement.GetProperty("readsRefused").GetBoolean()}");
                }

                return (phases.All(p => p == "restored refusing reads False"), string.Join(", ", phases));
            }, Ct);
            Assert.Equal(1, Metric(await http.GetStringAsync($"{cluster.AdminEndpoint(2)}/metrics", Ct), "kvstore_away_phase{phase=\"restored\"}"));
        }

        // Read with every replica answering, from each node: each holds its data again.
        for (var i = 0; i < 3; i++)
        {
            using var channel = Channels.Open(cluster.GrpcEndpoint(i));
            var client = new Protocol.V1.KvStore.KvStoreClient(channel);
            foreach (var key in keys)
            {
                var read = await client.GetAsync(new GetRequest { Key = B(key), Consistency = Consistency.All }, cancellationToken: Ct);
                Assert.True(read.Found, $"{key} not found through node{i + 1}");
            }

            Assert.False((await client.GetAsync(new GetRequest { Key = B("gone"), Consistency = Consistency.All }, cancellationToken: Ct)).Found);
        }

        // Restored locally, not merely read from elsewhere: every node's own store holds every key.
        foreach (var key in keys.Take(5))
        {
            using var data = await cluster.DebugDataAsync(0, key, Ct);
            var held = data.RootElement.GetProperty("replicas").EnumerateArray().Count(r => r.TryGetProperty("version", out _));
            Assert.Equal(3, held);
        }
    }

    private static long Metric(string metrics, string name) =>
        long.Parse(metrics.Split('\n').Single(l => l.StartsWith(name + " ", StringComparison.Ordinal)).Split(' ')[1], CultureInfo.InvariantCulture);
}
