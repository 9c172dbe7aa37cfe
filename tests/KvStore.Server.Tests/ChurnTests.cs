using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json;
using Google.Protobuf;
using Grpc.Core;
using KvStore.Protocol.V1;
using KvStore.Testing;

namespace KvStore.Server.Tests;

/// <summary>
/// The kill -9 acceptance run: three real nodes; 2,000 writes at ONE go to node 1 while node 3 is
/// killed with SIGKILL and restarted on its data directory three times. Within 60 s after the
/// churn every node serves every acknowledged write at ONE. All options are the defaults
/// (anti-entropy every 10 s, hint replay every 1 s).
/// </summary>
public sealed class ChurnTests
{
    private const int Writes = 2000;
    private const int Sets = 20;
    private const int Cycles = 3;
    private static readonly TimeSpan ConvergenceBound = TimeSpan.FromSeconds(60);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static ByteString B(string s) => ByteString.CopyFromUtf8(s);

    private static void Log(string line) => TestContext.Current.TestOutputHelper?.WriteLine(line);

    [Fact]
    public async Task Every_node_serves_every_write_acknowledged_at_ONE_while_a_node_was_killed_and_restarted_three_times()
    {
        await using var cluster = await LocalCluster.StartAsync(3, Ct);
        await cluster.AllSeeAllAliveAsync(Ct);

        using var channel = Channels.Open(cluster.GrpcEndpoint(0));
        var client = new Protocol.V1.KvStore.KvStoreClient(channel);

        // Even writes put a unique value to a unique register key; odd writes add a unique element
        // to one of 20 sets. Each is recorded once it is acknowledged.
        var acked = new ConcurrentDictionary<int, bool>();
        var failed = new ConcurrentDictionary<int, string>();
        var issued = 0;
        var gate = new WriterGate(KillAt(0));
        var writer = Task.Run(() => WriteAllAsync(client, gate, acked, failed, () => Interlocked.Increment(ref issued)), Ct);

        // Cycle c: the writers are held at write 150 + 600c until node 3 is killed; 200 writes go
        // while it is dead, and 200 more while it restarts; the writers then run on until the next
        // cycle's kill. Cycles 0 and 2 hold the second 200 until node 1 no longer counts node 3
        // alive (those writes meet a known-dead replica); cycle 1 lets them go with the restart at
        // once (they meet a replica whose sends fail before anyone noticed).
        var churn = Stopwatch.StartNew();
        for (var c = 0; c < Cycles; c++)
        {
            var killAt = KillAt(c);
            await IssuedAsync(killAt);
            await cluster.KillAsync(2);
            Log($"cycle {c}: killed node3 at write {Volatile.Read(ref issued)} ({churn.Elapsed.TotalSeconds:F1} s)");
            gate.HoldAt(c == 1 ? killAt + 400 : killAt + 200);
            await IssuedAsync(killAt + 200);
            if (c != 1)
            {
                await LocalCluster.WithinAsync(TimeSpan.FromSeconds(30), async () =>
                {
                    var state = (await cluster.MemberStatesAsync(0, Ct))["node3"];
                    return (state != "alive", $"node1 sees node3 {state}");
                }, Ct);
                Log($"cycle {c}: node1 no longer counts node3 alive ({churn.Elapsed.TotalSeconds:F1} s)");
                gate.HoldAt(killAt + 400);
            }

            await cluster.StartNodeAsync(2, Ct);
            Log($"cycle {c}: node3 restarted at write {Volatile.Read(ref issued)} ({churn.Elapsed.TotalSeconds:F1} s)");
            gate.HoldAt(c + 1 < Cycles ? KillAt(c + 1) : int.MaxValue);
        }

        async Task IssuedAsync(int count) =>
            await WaitForAsync(() => Volatile.Read(ref issued) >= count || writer.IsCompleted, $"writer to issue {count} writes");

        await writer;
        var churnEnded = Stopwatch.StartNew();
        Log($"churn over after {churn.Elapsed.TotalSeconds:F1} s: {acked.Count} writes acknowledged, {failed.Count} failed");
        foreach (var (i, error) in failed.Take(5))
        {
            Log($"  write {i} failed: {error}");
        }

        // A write at ONE to node 1, a replica of every key, is stored there before it is
        // acknowledged; node 1 was never stopped, so all of them should be.
        Assert.True(acked.Count >= Writes * 0.99, $"only {acked.Count} of {Writes} writes were acknowledged; first failure: {failed.Values.FirstOrDefault()}");

        // Quiescence first: with N = 3 on three nodes, equal anti-entropy roots mean equal data.
        // Polling the roots, unlike reading, repairs nothing, so what converges here is the work of
        // hinted handoff and anti-entropy alone.
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        await LocalCluster.WithinAsync(ConvergenceBound, async () =>
        {
            var roots = new List<string>();
            for (var node = 0; node < 3; node++)
            {
                using var view = JsonDocument.Parse(await http.GetStringAsync($"{cluster.AdminEndpoint(node)}/debug/antientropy", Ct));
                roots.Add(view.RootElement.GetProperty("root").GetString()!);
            }

            return (roots.Distinct().Count() == 1, "roots " + string.Join(", ", roots));
        }, Ct);
        var rootsEqual = churnEnded.Elapsed;

        // Then the client's view: each node, asked at ONE, returns every acknowledged write.
        var clients = Enumerable.Range(0, 3).Select(n => Channels.Open(cluster.GrpcEndpoint(n))).ToList();
        try
        {
            for (var node = 0; node < 3; node++)
            {
                var missing = await MissingAsync(new Protocol.V1.KvStore.KvStoreClient(clients[node]), acked.Keys);
                Assert.True(missing.Count == 0, $"node{node + 1} at ONE lacks {missing.Count} acknowledged writes, e.g. {string.Join(", ", missing.Take(5))}");
            }
        }
        finally
        {
            clients.ForEach(c => c.Dispose());
        }

        var served = churnEnded.Elapsed;
        Assert.True(served < ConvergenceBound, $"every node served every acknowledged write only {served.TotalSeconds:F1} s after the churn");
        Log($"roots equal {rootsEqual.TotalSeconds:F1} s after the churn; every node served all {acked.Count} acknowledged writes at ONE {served.TotalSeconds:F1} s after it");
        for (var node = 0; node < 3; node++)
        {
            var metrics = await http.GetStringAsync($"{cluster.AdminEndpoint(node)}/metrics", Ct);
            using var view = JsonDocument.Parse(await http.GetStringAsync($"{cluster.AdminEndpoint(node)}/debug/antientropy", Ct));
            var totals = view.RootElement.GetProperty("totals");
            Log($"node{node + 1} (this incarnation): hints kept {Metric(metrics, "kvstore_hints_kept_locally_total")}, " +
                $"delivered {Metric(metrics, "kvstore_hints_delivered_total")}; anti-entropy fetched {totals.GetProperty("keysFetched").GetInt64()}, " +
                $"pushed {totals.GetProperty("keysPushed").GetInt64()}");
        }

        // The run tested what it meant to: node 1, never restarted, missed node 3 for some of the
        // writes it acknowledged (it kept hints for them), and something brought node 3 up to date.
        var node1 = await http.GetStringAsync($"{cluster.AdminEndpoint(0)}/metrics", Ct);
        Assert.True(long.Parse(Metric(node1, "kvstore_hints_kept_locally_total"), System.Globalization.CultureInfo.InvariantCulture) > 0, "node 1 kept no hints: no write met node 3 down");
    }

    private static int KillAt(int cycle) => 150 + (600 * cycle);

    private static async Task WriteAllAsync(
        Protocol.V1.KvStore.KvStoreClient client, WriterGate gate, ConcurrentDictionary<int, bool> acked, ConcurrentDictionary<int, string> failed, Func<int> issue)
    {
        // Four writers in parallel, each taking the next write number.
        var next = -1;
        await Task.WhenAll(Enumerable.Range(0, 4).Select(async _ =>
        {
            while (true)
            {
                var i = Interlocked.Increment(ref next);
                if (i >= Writes)
                {
                    return;
                }

                await gate.PassAsync(i);
                issue();
                try
                {
                    var deadline = DateTime.UtcNow.AddSeconds(30);
                    if (i % 2 == 0)
                    {
                        await client.PutAsync(new PutRequest { Key = B($"churn/reg/{i}"), Value = B($"v{i}"), Consistency = Consistency.One }, deadline: deadline, cancellationToken: Ct);
                    }
                    else
                    {
                        await client.SetAddAsync(new SetAddRequest { Key = B($"churn/set/{i % Sets}"), Elements = { B($"e{i}") }, Consistency = Consistency.One }, deadline: deadline, cancellationToken: Ct);
                    }

                    acked[i] = true;
                }
                catch (RpcException e)
                {
                    failed[i] = $"{e.StatusCode}: {e.Status.Detail}";
                }
            }
        }));
    }

    /// <summary>The acknowledged writes that the node, asked at ONE, does not return.</summary>
    private static async Task<List<string>> MissingAsync(Protocol.V1.KvStore.KvStoreClient client, IEnumerable<int> acked)
    {
        var missing = new List<string>();
        var ackedList = acked.Order().ToList();
        foreach (var i in ackedList.Where(i => i % 2 == 0))
        {
            var got = await client.GetAsync(new GetRequest { Key = B($"churn/reg/{i}"), Consistency = Consistency.One }, cancellationToken: Ct);
            if (!got.Found || got.Value.ToStringUtf8() != $"v{i}")
            {
                missing.Add($"churn/reg/{i}");
            }
        }

        for (var s = 0; s < Sets; s++)
        {
            var members = (await client.SetMembersAsync(new SetMembersRequest { Key = B($"churn/set/{s}"), Consistency = Consistency.One }, cancellationToken: Ct))
                .Members.Select(m => m.ToStringUtf8()).ToHashSet(StringComparer.Ordinal);
            var set = s;
            missing.AddRange(ackedList.Where(i => i % 2 == 1 && i % Sets == set && !members.Contains($"e{i}")).Select(i => $"churn/set/{set}:e{i}"));
        }

        return missing;
    }

    private static Task WaitForAsync(Func<bool> condition, string what) =>
        LocalCluster.WithinAsync(TimeSpan.FromSeconds(60), () => Task.FromResult((condition(), $"waiting for {what}")), Ct);

    private static string Metric(string metrics, string name) =>
        metrics.Split('\n').FirstOrDefault(l => l.StartsWith(name + " ", StringComparison.Ordinal))?.Split(' ')[1] ?? "?";

    /// <summary>Holds writers at a write number until the churn moves it on, so kills and restarts land during the load.</summary>
    private sealed class WriterGate(int holdAt)
    {
        private readonly Lock _lock = new();
        private int _holdAt = holdAt;
        private TaskCompletionSource _moved = new(TaskCreationOptions.RunContinuationsAsynchronously);

        /// <summary>Lets writes below <paramref name="write"/> pass and wakes the writers held so far.</summary>
        public void HoldAt(int write)
        {
            TaskCompletionSource moved;
            lock (_lock)
            {
                _holdAt = write;
                moved = _moved;
                _moved = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            }

            moved.TrySetResult();
        }

        public async Task PassAsync(int write)
        {
            while (true)
            {
                Task wait;
                lock (_lock)
                {
                    if (write < _holdAt)
                    {
                        return;
                    }

                    wait = _moved.Task;
                }

                await wait.WaitAsync(TimeSpan.FromSeconds(120), Ct);
            }
        }
    }
}
