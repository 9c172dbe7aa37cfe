using System.Text;
using System.Text.Json;
using Google.Protobuf;
using KvStore.Cluster.AntiEntropy;
using KvStore.Core.Clock;
using KvStore.Core.Crdt;
using KvStore.Protocol.Peer.V1;
using KvStore.Protocol.V1;
using KvStore.Storage;
using KvStore.Testing;
using Microsoft.Extensions.Logging.Abstractions;

namespace KvStore.Server.Tests;

public sealed class AntiEntropyTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static ByteString B(string s) => ByteString.CopyFromUtf8(s);

    /// <summary>The byte counts anti-entropy reports are the sizes of the peer messages it sends, as the generated code encodes them.</summary>
    [Fact]
    public void The_byte_model_matches_the_encoded_peer_messages()
    {
        var rng = new Random(3);
        for (var round = 0; round < 50; round++)
        {
            var ranges = Enumerable.Range(0, rng.Next(0, 5) * 2).Select(_ => (ulong)rng.NextInt64()).ToList();
            var parents = Enumerable.Range(0, rng.Next(0, 300)).Select(_ => rng.Next(0, 4096)).ToList();
            var depth = rng.Next(0, 5);
            var key = new byte[rng.Next(1, 300)];
            var obj = new byte[rng.Next(0, 20_000)];
            var after = rng.Next(2) == 0 ? null : key;
            var max = rng.Next(0, 5000);

            var tree = new TreeRequest { Depth = (uint)depth, Ranges = { ranges }, Parents = { parents.Select(p => (uint)p) } };
            Assert.Equal(new PeerRequest { Tree = tree }.CalculateSize(), AntiEntropyWire.TreeRequest(ranges.Count / 2, depth, parents));

            var hashes = new PeerResponse { NodeHashes = { parents.Select(p => (ulong)p * 7919) } };
            Assert.Equal(hashes.CalculateSize(), AntiEntropyWire.TreeResponse(parents.Count));

            var listing = new KeyHashesRequest { Ranges = { ranges }, Segments = { parents.Select(p => (uint)p) }, After = after is null ? ByteString.Empty : ByteString.CopyFrom(after), Max = (uint)max };
            Assert.Equal(new PeerRequest { KeyHashes = listing }.CalculateSize(), AntiEntropyWire.KeyHashesRequest(ranges.Count / 2, parents, after, max));

            var entries = parents.Select(p => (Key: new byte[(p % 40) + 1], Hash: (ulong)(p % 3 == 0 ? 0 : rng.NextInt64()))).ToList();
            var more = rng.Next(2) == 0;
            var page = new PeerResponse { More = more, KeyHashes = { entries.Select(e => new KeyHashEntry { Key = ByteString.CopyFrom(e.Key), Hash = e.Hash }) } };
            Assert.Equal(page.CalculateSize(), AntiEntropyWire.KeyHashesResponse(entries, more));

            Assert.Equal(new PeerRequest { Read = new ReadRequest { Key = ByteString.CopyFrom(key) } }.CalculateSize(), AntiEntropyWire.ReadRequest(key.Length));
            Assert.Equal(new PeerResponse { Object = ByteString.CopyFrom(obj) }.CalculateSize(), AntiEntropyWire.ReadResponse(obj.Length));
            Assert.Equal(
                new PeerRequest { Merge = new MergeRequest { Key = ByteString.CopyFrom(key), Object = ByteString.CopyFrom(obj) } }.CalculateSize(),
                AntiEntropyWire.MergeRequest(key.Length, obj.Length));
        }
    }

    /// <summary>
    /// Three real nodes hold the same keys; node 3 is killed, and its data directory gains keys and
    /// newer versions the others never saw (no hint exists for them, and nobody reads them). Once
    /// it is back, anti-entropy alone brings all three to the same tree root, which for N = 3 on
    /// three nodes means the same objects everywhere.
    /// </summary>
    [Fact]
    public async Task A_restarted_node_and_its_peers_converge_on_writes_only_it_held()
    {
        // Handoff off: the restarted node would otherwise push what only it held as soon as it
        // learns the others (its first routing table holds only itself), before anti-entropy runs.
        await using var cluster = await LocalCluster.StartAsync(3, Ct, new Dictionary<string, string> { ["KVSTORE_HANDOFF__ENABLED"] = "false" });
        await cluster.AllSeeAllAliveAsync(Ct);

        using var channel = Channels.Open(cluster.GrpcEndpoint(0));
        var client = new Protocol.V1.KvStore.KvStoreClient(channel);
        for (var i = 0; i < 200; i++)
        {
            await client.PutAsync(new PutRequest { Key = B($"k/{i}"), Value = B($"v{i}"), Consistency = Consistency.All }, cancellationToken: Ct);
        }

        var dataDir = cluster[2].DataDir;
        await cluster.KillAsync(2);
        await using (var store = RocksObjectStore.Open(new StorageOptions { DataDir = dataDir }, "node3", "node3", NullLogger.Instance))
        {
            var later = new HlcTimestamp(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), 0);
            for (var i = 0; i < 50; i++)
            {
                var value = Encoding.UTF8.GetBytes($"only3-{i}");
                await store.UpdateAsync(Encoding.UTF8.GetBytes($"only3/{i}"), _ => KvObject.Of(LwwRegister.Empty.Assign(store.Actor, later, value, null)), Ct);
            }

            for (var i = 0; i < 10; i++)
            {
                var value = Encoding.UTF8.GetBytes($"newer{i}");
                await store.UpdateAsync(Encoding.UTF8.GetBytes($"k/{i}"), current => KvObject.Of(current!.Register!.Assign(store.Actor, later, value, current.Clock)), Ct);
            }
        }

        await cluster.StartNodeAsync(2, Ct);
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        async Task<JsonElement> View(int node) =>
            JsonDocument.Parse(await http.GetStringAsync($"{cluster.AdminEndpoint(node)}/debug/antientropy", Ct)).RootElement;

        // Default interval: a round every 10 s (with jitter) per node, two peers a round.
        var took = await LocalCluster.WithinAsync(TimeSpan.FromSeconds(60), async () =>
        {
            var roots = new List<string>();
            for (var node = 0; node < 3; node++)
            {
                roots.Add((await View(node)).GetProperty("root").GetString()!);
            }

            return (roots.Distinct().Count() == 1, "roots " + string.Join(", ", roots));
        }, Ct);
        TestContext.Current.TestOutputHelper?.WriteLine($"converged {took.TotalSeconds:F1} s after the restart");

        var moved = 0L;
        for (var node = 0; node < 3; node++)
        {
            var totals = (await View(node)).GetProperty("totals");
            moved += totals.GetProperty("keysFetched").GetInt64() + totals.GetProperty("keysPushed").GetInt64();
        }

        Assert.True(moved >= 60, $"anti-entropy moved {moved} objects");
        for (var i = 0; i < 50; i += 7)
        {
            var got = await client.GetAsync(new GetRequest { Key = B($"only3/{i}"), Consistency = Consistency.One }, cancellationToken: Ct);
            Assert.Equal($"only3-{i}", got.Value.ToStringUtf8());
        }

        var metrics = await http.GetStringAsync($"{cluster.AdminEndpoint(0)}/metrics", Ct);
        Assert.Contains("kvstore_antientropy_exchanges_total{result=\"ok\"}", metrics, StringComparison.Ordinal);
        Assert.Contains("kvstore_handoff_transfers_total{result=\"done\"} 0\n", metrics, StringComparison.Ordinal);
    }
}
