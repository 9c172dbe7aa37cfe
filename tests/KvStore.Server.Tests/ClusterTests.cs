using Google.Protobuf;
using Grpc.Core;
using KvStore.Protocol.V1;
using KvStore.Testing;

namespace KvStore.Server.Tests;

/// <summary>
/// Three real server processes on loopback joined through a seed: membership, quorum reads and
/// writes across nodes, a crash, and hinted handoff to the restarted node.
/// </summary>
public sealed class ClusterTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static ByteString B(string s) => ByteString.CopyFromUtf8(s);

    [Fact]
    public async Task Three_nodes_join_replicate_survive_a_crash_and_hand_off_what_the_crashed_node_missed()
    {
        await using var cluster = await LocalCluster.StartAsync(3, Ct);

        // Every node lists all three members as alive within 30 s.
        await cluster.AllSeeAllAliveAsync(Ct);

        using var channel1 = Channels.Open(cluster.GrpcEndpoint(0));
        using var channel2 = Channels.Open(cluster.GrpcEndpoint(1));
        var client1 = new Protocol.V1.KvStore.KvStoreClient(channel1);
        var client2 = new Protocol.V1.KvStore.KvStoreClient(channel2);

        // 300 QUORUM writes through node 1 (registers, and adds to ten sets), read back at QUORUM through node 2.
        await Task.WhenAll(Enumerable.Range(0, 300).Select(i => i % 2 == 0
            ? client1.PutAsync(new PutRequest { Key = B($"reg/{i}"), Value = B($"v{i}"), Consistency = Consistency.Quorum }, cancellationToken: Ct).ResponseAsync
            : (Task)client1.SetAddAsync(new SetAddRequest { Key = B($"set/{i % 10}"), Elements = { B($"e{i}") }, Consistency = Consistency.Quorum }, cancellationToken: Ct).ResponseAsync));
        for (var i = 0; i < 300; i += 2)
        {
            var got = await client2.GetAsync(new GetRequest { Key = B($"reg/{i}"), Consistency = Consistency.Quorum }, cancellationToken: Ct);
            Assert.True(got.Found, $"reg/{i} not found");
            Assert.Equal($"v{i}", got.Value.ToStringUtf8());
        }

        for (var s = 1; s < 10; s += 2)
        {
            var members = await client2.SetMembersAsync(new SetMembersRequest { Key = B($"set/{s}"), Consistency = Consistency.Quorum }, cancellationToken: Ct);
            var expected = Enumerable.Range(0, 300).Where(i => i % 2 == 1 && i % 10 == s).Select(i => $"e{i}").Order(StringComparer.Ordinal);
            Assert.Equal(expected, members.Members.Select(m => m.ToStringUtf8()).Order(StringComparer.Ordinal));
        }

        // kill -9 node 3: within 10 s neither other node reports it alive.
        await cluster.KillAsync(2);
        var noticed = await LocalCluster.WithinAsync(TimeSpan.FromSeconds(10), async () =>
        {
            var by1 = (await cluster.MemberStatesAsync(0, Ct))["node3"];
            var by2 = (await cluster.MemberStatesAsync(1, Ct))["node3"];
            return (by1 != "alive" && by2 != "alive", $"node1 sees {by1}, node2 sees {by2}");
        }, Ct);
        TestContext.Current.TestOutputHelper?.WriteLine($"node3 no longer alive for both others after {noticed.TotalSeconds:F1} s");

        // QUORUM writes keep succeeding with two of three nodes up.
        var missed = Enumerable.Range(0, 100).Select(i => $"missed/{i}").ToList();
        foreach (var (key, i) in missed.Select((k, i) => (k, i)))
        {
            var client = i % 2 == 0 ? client1 : client2;
            await client.PutAsync(new PutRequest { Key = B(key), Value = B($"m{i}"), Consistency = Consistency.Quorum }, cancellationToken: Ct);
        }

        // ALL cannot be met while a replica is down, and the error says how many answered.
        var all = await Assert.ThrowsAsync<RpcException>(() =>
            client1.GetAsync(new GetRequest { Key = B("missed/0"), Consistency = Consistency.All }, cancellationToken: Ct).ResponseAsync);
        Assert.Equal(StatusCode.Unavailable, all.StatusCode);
        Assert.Contains("only 2 of 3 replicas", all.Status.Detail);

        // Node 3 restarts on its data directory; within 60 s hinted handoff gives it every write it
        // missed: its own replica holds each one (asked through its admin view) and it serves them at ONE.
        await cluster.StartNodeAsync(2, Ct);
        using var channel3 = Channels.Open(cluster.GrpcEndpoint(2));
        var client3 = new Protocol.V1.KvStore.KvStoreClient(channel3);
        var handedOff = await LocalCluster.WithinAsync(TimeSpan.FromSeconds(60), async () =>
        {
            var held = 0;
            foreach (var key in missed)
            {
                using var data = await cluster.DebugDataAsync(2, key, Ct);
                var own = data.RootElement.TryGetProperty("replicas", out var replicas)
                    ? replicas.EnumerateArray().FirstOrDefault(r => r.GetProperty("node").GetString() == "node3")
                    : default;
                if (own.ValueKind == System.Text.Json.JsonValueKind.Object && own.GetProperty("found").GetBoolean())
                {
                    held++;
                }
            }

            return (held == missed.Count, $"node3 holds {held} of {missed.Count} missed writes");
        }, Ct);
        TestContext.Current.TestOutputHelper?.WriteLine($"hinted handoff complete {handedOff.TotalSeconds:F1} s after the restart");

        foreach (var (key, i) in missed.Select((k, i) => (k, i)))
        {
            var got = await client3.GetAsync(new GetRequest { Key = B(key), Consistency = Consistency.One }, cancellationToken: Ct);
            Assert.Equal($"m{i}", got.Value.ToStringUtf8());
        }

        // SIGTERM: node 2 leaves gracefully, exits 0, and node 1 learns "left" from it rather than
        // suspecting a crash. It has carried peer streams, which must not hold it for the web
        // server's whole 15 s shutdown timeout.
        var terminating = System.Diagnostics.Stopwatch.StartNew();
        Assert.Equal(0, await cluster.TerminateAsync(1, TimeSpan.FromSeconds(20)));
        Assert.True(terminating.Elapsed < TimeSpan.FromSeconds(10), $"node2 took {terminating.Elapsed.TotalSeconds:F1} s to exit");
        TestContext.Current.TestOutputHelper?.WriteLine($"node2 exited {terminating.Elapsed.TotalSeconds:F1} s after SIGTERM");
        await LocalCluster.WithinAsync(TimeSpan.FromSeconds(10), async () =>
        {
            var state = (await cluster.MemberStatesAsync(0, Ct))["node2"];
            return (state == "left", $"node1 sees node2 {state}");
        }, Ct);
    }

    [Fact]
    public async Task A_batch_reaches_every_replica_and_with_a_replica_down_meets_quorum_but_not_all()
    {
        await using var cluster = await LocalCluster.StartAsync(3, Ct);
        await cluster.AllSeeAllAliveAsync(Ct);

        using var channel = Channels.Open(cluster.GrpcEndpoint(1));
        var client = new Protocol.V1.KvStore.KvStoreClient(channel);
        await client.SetAddAsync(new SetAddRequest { Key = B("typed"), Elements = { B("e") }, Consistency = Consistency.All }, cancellationToken: Ct);

        // 60 puts at ALL, applied together by node 2 and sent to each other replica in one message;
        // the put on a set key fails alone, as its own call would.
        var batch = new BatchRequest { Consistency = Consistency.All };
        batch.Operations.Add(Enumerable.Range(0, 60).Select(i => new BatchOperation { Put = new PutRequest { Key = B($"b/{i}"), Value = B($"v{i}") } }));
        batch.Operations.Add(new BatchOperation { Put = new PutRequest { Key = B("typed"), Value = B("v") } });
        var response = await client.BatchAsync(batch, cancellationToken: Ct);
        Assert.All(response.Results.Take(60), r => Assert.Equal(BatchResult.ResultOneofCase.Put, r.ResultCase));
        Assert.Equal((int)StatusCode.FailedPrecondition, response.Results[60].Code);
        for (var i = 0; i < 60; i++)
        {
            using var data = await cluster.DebugDataAsync(0, $"b/{i}", Ct);
            var holders = data.RootElement.GetProperty("replicas").EnumerateArray().Count(r => r.GetProperty("found").GetBoolean());
            Assert.Equal(3, holders);
        }

        // With node 3 down its share cannot be acknowledged: QUORUM is met, ALL is not, key by key.
        await cluster.KillAsync(2);
        var quorum = new BatchRequest { Consistency = Consistency.Quorum };
        quorum.Operations.Add(Enumerable.Range(0, 30).Select(i => new BatchOperation { Put = new PutRequest { Key = B($"q/{i}"), Value = B("v") } }));
        Assert.All((await client.BatchAsync(quorum, cancellationToken: Ct)).Results, r => Assert.Equal(BatchResult.ResultOneofCase.Put, r.ResultCase));
        var all = new BatchRequest { Consistency = Consistency.All };
        all.Operations.Add(Enumerable.Range(0, 30).Select(i => new BatchOperation { Put = new PutRequest { Key = B($"a/{i}"), Value = B("v") } }));
        Assert.All((await client.BatchAsync(all, cancellationToken: Ct)).Results, r =>
        {
            Assert.Equal((int)StatusCode.Unavailable, r.Code);
            Assert.Contains("only 2 of 3 replicas acknowledged", r.Message, StringComparison.Ordinal);
        });
    }
}
