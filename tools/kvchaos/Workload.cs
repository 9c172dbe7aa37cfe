using System.Diagnostics;
using Google.Protobuf;
using Grpc.Core;
using KvStore.Protocol.V1;

namespace KvStore.Kvchaos;

/// <summary>
/// The write load: writers that each own a few register keys and set keys and run one operation
/// at a time against a random node at ONE or QUORUM. Register puts carry a unique value and the
/// context of the key's last acknowledged put; set adds carry a unique element, and removes take
/// away an element whose add was acknowledged, with the context that add returned. Every
/// operation is recorded in the history as acknowledged or failed.
/// </summary>
internal sealed class Workload(
    int seed, string runId, int writers, IReadOnlyList<KvStore.Protocol.V1.KvStore.KvStoreClient> nodes, History history, Stopwatch clock)
{
    public const int RegistersPerWriter = 4;
    public const int SetsPerWriter = 2;
    /// <summary>
    /// Longer than a node waits for a write it forwarded (4 x the 2 s peer timeout), after which the
    /// replica refuses it: so once a put has failed here it can no longer be minted, and the check
    /// may hold the next acknowledged put to win over it.
    /// </summary>
    private static readonly TimeSpan CallTimeout = TimeSpan.FromSeconds(10);

    public Task RunAsync(CancellationToken stop) => Task.WhenAll(Enumerable.Range(0, writers).Select(w => Task.Run(() => WriterAsync(w, stop), CancellationToken.None)));

    private async Task WriterAsync(int writer, CancellationToken stop)
    {
        var rng = new Random(HashCode.Combine(seed, writer));
        var registers = Enumerable.Range(0, RegistersPerWriter).Select(j => $"chaos/{runId}/r/{writer}/{j}").ToArray();
        var sets = Enumerable.Range(0, SetsPerWriter).Select(j => $"chaos/{runId}/s/{writer}/{j}").ToArray();
        var contexts = new Dictionary<string, ByteString>(StringComparer.Ordinal);
        var removable = sets.ToDictionary(s => s, _ => new List<(string Element, ByteString Context)>(), StringComparer.Ordinal);
        var n = 0;
        while (!stop.IsCancellationRequested)
        {
            n++;
            var node = rng.Next(nodes.Count);
            var level = rng.Next(10) < 3 ? Consistency.One : Consistency.Quorum;
            var roll = rng.Next(10);
            var client = nodes[node];
            if (roll < 4)
            {
                var key = registers[rng.Next(registers.Length)];
                var value = $"w{writer}-{n}";
                var request = new PutRequest { Key = ByteString.CopyFromUtf8(key), Value = ByteString.CopyFromUtf8(value), Consistency = level };
                if (contexts.TryGetValue(key, out var context))
                {
                    request.Context = context;
                }

                await RecordAsync(writer, key, OpKind.Put, value, node, level, async deadline =>
                {
                    var response = await client.PutAsync(request, deadline: deadline, cancellationToken: CancellationToken.None);
                    contexts[key] = response.Context;
                });
            }
            else
            {
                var key = sets[rng.Next(sets.Length)];
                var candidates = removable[key];
                if (roll < 8 || candidates.Count == 0)
                {
                    var element = $"e{writer}-{n}";
                    var request = new SetAddRequest { Key = ByteString.CopyFromUtf8(key), Elements = { ByteString.CopyFromUtf8(element) }, Consistency = level };
                    await RecordAsync(writer, key, OpKind.Add, element, node, level, async deadline =>
                    {
                        var response = await client.SetAddAsync(request, deadline: deadline, cancellationToken: CancellationToken.None);
                        candidates.Add((element, response.Context));
                    });
                }
                else
                {
                    var pick = rng.Next(candidates.Count);
                    var (element, context) = candidates[pick];
                    candidates.RemoveAt(pick);
                    var request = new SetRemoveRequest { Key = ByteString.CopyFromUtf8(key), Elements = { ByteString.CopyFromUtf8(element) }, Context = context, Consistency = level };
                    await RecordAsync(writer, key, OpKind.Remove, element, node, level, deadline =>
                        client.SetRemoveAsync(request, deadline: deadline, cancellationToken: CancellationToken.None).ResponseAsync);
                }
            }

            // A little room between operations, so the load leaves the two cores to the servers.
            await Task.Delay(rng.Next(5, 30), CancellationToken.None);
        }
    }

    private async Task RecordAsync(int writer, string key, OpKind kind, string value, int node, Consistency level, Func<DateTime, Task> call)
    {
        history.Invoke();
        var invoked = clock.Elapsed;
        string? error = null;
        try
        {
            await call(DateTime.UtcNow + CallTimeout);
        }
        catch (RpcException e)
        {
            error = $"{e.StatusCode}: {e.Status.Detail}";
        }

        history.Complete(new Op(writer, key, kind, value, error is null, error, invoked, clock.Elapsed, node, level.ToString()));
    }
}
