using Google.Protobuf;
using KvStore.Protocol.V1;
using KvStore.Testing;

namespace KvStore.Server.Tests;

/// <summary>
/// Four real server processes, anti-entropy off so that only handoff can move data: a node stopped
/// with SIGTERM hands its ranges to the nodes that replace it, and afterwards every key is on all
/// three of its replicas.
/// </summary>
public sealed class HandoffClusterTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_node_stopped_with_SIGTERM_hands_its_ranges_over_and_every_key_keeps_three_replicas()
    {
        await using var cluster = await LocalCluster.StartAsync(4, Ct, new Dictionary<string, string> { ["KVSTORE_ANTIENTROPY__ENABLED"] = "false" });
        await cluster.AllSeeAllAliveAsync(Ct, TimeSpan.FromSeconds(60));

        using var channel = Channels.Open(cluster.GrpcEndpoint(0));
        var client = new Protocol.V1.KvStore.KvStoreClient(channel);
        var keys = Enumerable.Range(0, 200).Select(i => $"handoff/{i}").ToList();
        foreach (var key in keys)
        {
            await client.PutAsync(new PutRequest { Key = ByteString.CopyFromUtf8(key), Value = ByteString.CopyFromUtf8(key), Consistency = Consistency.All }, cancellationToken: Ct);
        }

        var terminating = System.Diagnostics.Stopwatch.StartNew();
        Assert.Equal(0, await cluster.TerminateAsync(3, TimeSpan.FromSeconds(60)));
        TestContext.Current.TestOutputHelper?.WriteLine($"node4 exited {terminating.Elapsed.TotalSeconds:F1} s after SIGTERM");

        var settled = await LocalCluster.WithinAsync(TimeSpan.FromSeconds(30), async () =>
        {
            var state = (await cluster.MemberStatesAsync(0, Ct)).GetValueOrDefault("node4");
            if (state != "left")
            {
                return (false, $"node1 sees node4 {state}");
            }

            var lacking = new List<string>();
            foreach (var key in keys)
            {
                using var data = await cluster.DebugDataAsync(0, key, Ct);
                var holders = data.RootElement.GetProperty("replicas").EnumerateArray()
                    .Where(r => r.GetProperty("found").GetBoolean()).Select(r => r.GetProperty("node").GetString()).ToList();
                if (holders.Count < 3 || holders.Contains("node4"))
                {
                    lacking.Add($"{key} on [{string.Join(",", holders)}]");
                }
            }

            return (lacking.Count == 0, $"{lacking.Count} keys short of 3 replicas, e.g. {string.Join("; ", lacking.Take(3))}");
        }, Ct);
        TestContext.Current.TestOutputHelper?.WriteLine($"every key on 3 replicas {settled.TotalSeconds:F1} s after node4 exited");
    }
}
