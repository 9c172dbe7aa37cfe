using System.Text;
using KvStore.Cluster;
using KvStore.Cluster.Replication;
using KvStore.Core.Clock;
using KvStore.Core.Crdt;

namespace KvStore.Simulation.Sim;

/// <summary>
/// Seeded clients: each runs one operation at a time through a random node, until the workload
/// ends. Sets get adds of unique elements and removes of elements a read just returned (with that
/// read's context); registers get puts of unique values and deletes, each after a read whose
/// context it sends back, so the history says what every write could have seen. One operation in
/// eight instead writes a new key and deletes it, and one set remove in three empties the set, so
/// tombstones are there to collect.
/// </summary>
internal sealed class Workload(SimCluster cluster, History history, IReadOnlyList<string> nodes)
{
    /// <summary>How long a client waits for an answer before it gives up (the gRPC deadline).</summary>
    public static readonly TimeSpan ClientTimeout = TimeSpan.FromSeconds(5);

    private static readonly ConsistencyLevel[] Levels = [ConsistencyLevel.One, ConsistencyLevel.Quorum, ConsistencyLevel.Quorum, ConsistencyLevel.All, ConsistencyLevel.Default];

    private int _unique;

    public int SetKeys { get; init; } = 3;

    public int RegisterKeys { get; init; } = 3;

    /// <summary>Clients waiting for an answer now.</summary>
    public int Busy { get; private set; }

    public long Reads { get; private set; }

    private Random Random => cluster.Random;

    private SimLoop Loop => cluster.Loop;

    /// <summary>Starts <paramref name="clients"/> clients that issue operations until virtual time <paramref name="until"/>.</summary>
    public void Start(int clients, TimeSpan until)
    {
        for (var c = 0; c < clients; c++)
        {
            Loop.At(Think(), () => _ = ClientAsync(until));
        }
    }

    private async Task ClientAsync(TimeSpan until)
    {
        while (Loop.Now < until)
        {
            Busy++;
            try
            {
                await OneAsync();
            }
            finally
            {
                Busy--;
            }

            var pause = new TaskCompletionSource();
            Loop.At(Think(), () => pause.SetResult());
            await pause.Task;
        }
    }

    private TimeSpan Think() => TimeSpan.FromMilliseconds(20 + Random.Next(200));

    private async Task OneAsync()
    {
        if (Random.Next(8) == 0)
        {
            await ShortLivedAsync();
            return;
        }

        var set = Random.Next(2) == 0;
        var key = set ? $"s{Random.Next(SetKeys)}" : $"r{Random.Next(RegisterKeys)}";
        var k = Encoding.UTF8.GetBytes(key);
        switch (set, Random.Next(10))
        {
            case (true, < 6):
                await WriteAsync(OpKind.Add, key, [$"e{++_unique}"], null, new Mutation.SetAdd([Encoding.UTF8.GetBytes($"e{_unique}")]));
                break;
            case (true, _):
                if (await ReadAsync(k) is { Set: { Count: > 0 } s } read)
                {
                    // One remove in three takes every element read, emptying the set: a tombstone to collect.
                    var pick = Random.Next(3) == 0
                        ? Enumerable.Range(0, s.Count).ToList()
                        : Enumerable.Range(0, s.Count).Where(_ => Random.Next(3) == 0).DefaultIfEmpty(Random.Next(s.Count)).ToList();
                    var elements = pick.Select(i => s.Members[i].Element).ToList();
                    await WriteAsync(OpKind.Remove, key, elements.Select(e => Encoding.UTF8.GetString(e)).ToList(), read.Context, new Mutation.SetRemove(elements, read.Context));
                }

                break;
            case (false, < 7):
            {
                var context = Random.Next(5) == 0 ? null : (await ReadAsync(k))?.Context;
                var value = $"v{++_unique}";
                await WriteAsync(OpKind.Put, key, [value], context, new Mutation.Put(Encoding.UTF8.GetBytes(value), context));
                break;
            }

            default:
                if (await ReadAsync(k) is { } current)
                {
                    await WriteAsync(OpKind.Delete, key, [], current.Context, new Mutation.Delete(current.Context));
                }

                break;
        }
    }

    /// <summary>
    /// A key written once and deleted after a read: tombstones the collector can take during the run
    /// (most shared keys end live, and a join leaves stray copies of older ones that block collection).
    /// </summary>
    private async Task ShortLivedAsync()
    {
        var key = $"d{++_unique}";
        var k = Encoding.UTF8.GetBytes(key);
        await WriteAsync(OpKind.Put, key, [$"v{_unique}"], null, new Mutation.Put(Encoding.UTF8.GetBytes($"v{_unique}"), null));
        if (await ReadAsync(k) is { } current)
        {
            await WriteAsync(OpKind.Delete, key, [], current.Context, new Mutation.Delete(current.Context));
        }
    }

    private async Task<KvObject?> ReadAsync(byte[] key)
    {
        Reads++;
        var level = Levels[Random.Next(Levels.Length)];
        try
        {
            return await InvokeAsync(Pick(), (c, ct) => c.ReadAsync(key, level, ct));
        }
        catch (Exception e) when (Expected(e))
        {
            return null;
        }
    }

    private async Task WriteAsync(OpKind kind, string key, IReadOnlyList<string> items, CausalContext? context, Mutation mutation)
    {
        var node = Pick();
        var level = Levels[Random.Next(Levels.Length)];
        var op = history.Begin(kind, key, node, level, Loop.Now, items, context);
        Loop.Trace($"invoke {op}");
        try
        {
            await InvokeAsync(node, (c, ct) => c.WriteAsync(Encoding.UTF8.GetBytes(key), mutation, level, ct));
            op.Ok = true;
            op.Complete(Loop.Now, history.Ops.Count);
        }
        catch (NoAnswerException e)
        {
            op.Error = e.Message;
        }
        catch (Exception e) when (Expected(e))
        {
            op.Error = e.GetType().Name + ": " + e.Message;
            op.Complete(Loop.Now, history.Ops.Count);
        }

        Loop.Trace($"outcome {op}");
    }

    /// <summary>Calls the node's coordinator as a client would: no answer if the node dies first or the deadline passes.</summary>
    private async Task<KvObject?> InvokeAsync(string nodeId, Func<Coordinator, CancellationToken, Task<KvObject?>> call)
    {
        if (cluster.Live(nodeId) is not { } node)
        {
            throw new ReplicaUnavailableException($"{nodeId} refused the connection");
        }

        using var deadline = new CancellationTokenSource(ClientTimeout, Loop.Time);
        var task = call(node.Coordinator, deadline.Token);
        if (await Task.WhenAny(task, node.Died.Task) != task || !node.Alive)
        {
            _ = ObserveAsync(task);
            throw new NoAnswerException($"{node.Name} died before it answered");
        }

        try
        {
            return await task;
        }
        catch (OperationCanceledException)
        {
            throw new NoAnswerException("the client's deadline passed");
        }
    }

    private static async Task ObserveAsync(Task task)
    {
        try
        {
            await task;
        }
        catch (Exception)
        {
            // Nobody is listening any more: the client already gave up on the answer.
        }
    }

    private string Pick() => nodes[Random.Next(nodes.Count)];

    private static bool Expected(Exception e) =>
        e is ReplicaUnavailableException or OverloadedException or ClockDriftException or MutationRejectedException or NoAnswerException or PeerUnreachableException;

    private sealed class NoAnswerException(string message) : Exception(message);
}
