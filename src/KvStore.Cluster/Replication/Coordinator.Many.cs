using KvStore.Core.Crdt;
using KvStore.Core.Membership;
using KvStore.Storage;

namespace KvStore.Cluster.Replication;

public sealed partial class Coordinator
{
    /// <summary>
    /// Whether this node can coordinate the write itself without first asking other replicas: it is
    /// one of the key's replicas, and already holds everything the mutation's context saw. Such
    /// writes can go through <see cref="CoordinateManyAsync"/>; any other takes <see cref="WriteAsync"/>.
    /// </summary>
    public bool CoordinatesHere(byte[] key, Mutation mutation)
    {
        var table = router.Current;
        return Contains(table.PreferenceList(key), table.SelfId)
            && (mutation.SeenContext is not { } seen || Covers(replica.Read(key), seen));
    }

    /// <summary>
    /// Coordinates many writes on this node, each of a different key and each as
    /// <see cref="CoordinateAsync"/> would: the node applies them all in one store update, then
    /// replicates each stored object to its key's other replicas and answers each key once it has
    /// the level's acknowledgements. A key that fails fails on its own.
    /// </summary>
    /// <returns>Per key, in order, the object this node stored, or why the write failed or is unconfirmed.</returns>
    /// <exception cref="OverloadedException">Taking all the keys would pass <see cref="ReplicationOptions.MaxPendingRequests"/>; nothing was done.</exception>
    public async Task<UpdateOutcome[]> CoordinateManyAsync(IReadOnlyList<byte[]> keys, IReadOnlyList<Mutation> mutations, ConsistencyLevel level, CancellationToken cancellationToken)
    {
        Enter(keys.Count);
        var released = false;
        try
        {
            var outcomes = await replica.WriteManyAsync(keys, mutations, cancellationToken);
            var table = router.Current;
            var waits = new Task<int>?[keys.Count];
            var needed = new int[keys.Count];
            var counts = new int[keys.Count];
            var quorums = new WriteQuorum[keys.Count];
            var fallbacks = new FallbackQueue[keys.Count];
            var stored = new KvObject[keys.Count];
            var byTarget = new Dictionary<string, (Member Target, List<int> Keys)>();
            for (var i = 0; i < keys.Count; i++)
            {
                var replicas = table.PreferenceList(keys[i]);
                counts[i] = replicas.Count;
                needed[i] = _options.WritesNeeded(level, replicas.Count);
                var others = Contains(replicas, table.SelfId) ? replicas.Count - 1 : replicas.Count;
                if (outcomes[i] is not { Error: null, Object: { } obj } || others == 0)
                {
                    continue;
                }

                stored[i] = obj;
                fallbacks[i] = new FallbackQueue(table, keys[i]);
                quorums[i] = new WriteQuorum(needed[i] - 1, others);
                waits[i] = quorums[i].WaitAsync(cancellationToken);
                foreach (var other in replicas)
                {
                    if (other.Id != table.SelfId)
                    {
                        if (!byTarget.TryGetValue(other.Id, out var sent))
                        {
                            byTarget[other.Id] = sent = (other, []);
                        }

                        sent.Keys.Add(i);
                    }
                }
            }

            // One message (or a few, for large values) per replica carries all of its keys.
            var sends = new List<Task>(byTarget.Count);
            foreach (var (target, indices) in byTarget.Values)
            {
                sends.Add(ReplicateManyAsync(target, table.IsAlive(target.Id), indices, keys, stored, fallbacks, quorums));
            }

            // Replication goes on after the client is answered (or gives up); the slots are released when it ends.
            released = true;
            FinishInBackground(Task.WhenAll(sends), "replication", keys.Count);

            for (var i = 0; i < keys.Count; i++)
            {
                if (waits[i] is not { } wait)
                {
                    continue;
                }

                var acks = 1 + await wait;
                if (acks < needed[i])
                {
                    outcomes[i] = new UpdateOutcome(null, new ReplicaUnavailableException(
                        $"only {acks} of {counts[i]} replicas acknowledged the write ({needed[i]} needed); " +
                        "it may still have been applied on some replicas"));
                }
            }

            return outcomes;
        }
        finally
        {
            if (!released)
            {
                Release(keys.Count);
            }
        }
    }

    /// <summary>
    /// Sends one replica the objects of its keys in one merge-many call, and counts each key's
    /// outcome in its quorum. Keys the replica did not take because it could not be reached go the
    /// single write's way: to a fallback node as hints, or kept here.
    /// </summary>
    private async Task ReplicateManyAsync(
        Member target, bool alive, List<int> indices, IReadOnlyList<byte[]> keys, KvObject[] stored, FallbackQueue[] fallbacks, WriteQuorum[] quorums)
    {
        Exception?[]? errors = null;
        if (alive)
        {
            var sentKeys = new byte[indices.Count][];
            var sentObjects = new KvObject[indices.Count];
            for (var j = 0; j < indices.Count; j++)
            {
                sentKeys[j] = keys[indices[j]];
                sentObjects[j] = stored[indices[j]];
            }

            try
            {
                using var deadline = PeerDeadline();
                errors = await peers.MergeManyAsync(target, sentKeys, sentObjects, deadline.Token);
            }
            catch (Exception e) when (e is PeerUnreachableException or OperationCanceledException)
            {
                counters.PeerFailure();
                LogReplicaMissed(logger, target.Id, $"{indices.Count} keys", e.Message);
            }
        }

        var elsewhere = new List<Task>();
        for (var j = 0; j < indices.Count; j++)
        {
            var i = indices[j];
            switch (errors?[j])
            {
                case null when errors is not null:
                    quorums[i].Count(acknowledged: true);
                    break;
                case MutationRejectedException or RequestRejectedException:
                    // As for a single write: the replica refuses the key itself, and would refuse a hint too.
                    LogReplicaRefused(logger, target.Id, KeyText(keys[i]), errors![j]!.Message);
                    quorums[i].Count(acknowledged: false);
                    break;
                default:
                    elsewhere.Add(ReplicateAsync(keys[i], stored[i], target, alive: false, fallbacks[i], quorums[i]));
                    break;
            }
        }

        await Task.WhenAll(elsewhere);
    }
}
