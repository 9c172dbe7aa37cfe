using KvStore.Cluster.Replication;
using KvStore.Cluster.Tombstones;
using KvStore.Core.Causality;
using KvStore.Core.Clock;
using KvStore.Core.Crdt;
using KvStore.Storage;
using Microsoft.Extensions.Options;

namespace KvStore.Cluster;

/// <summary>
/// This node as a replica: it mints the dot and the timestamp of each write it applies, inside the
/// store's atomic update of the key, so the dot counter and the stored state never disagree.
/// </summary>
public sealed class LocalReplica(IObjectStore store, HybridLogicalClock clock, IOptions<ReplicaOptions> options, ClusterCounters counters, ResyncGate? gate = null)
{
    private readonly ObjectLimits _limits = new(options.Value.MaxSetElements, options.Value.MaxVersionVectorWidth);

    public ActorId Actor => store.Actor;

    public HybridLogicalClock Clock => clock;

    public KvObject? Read(ReadOnlySpan<byte> key) => store.Get(key);

    /// <summary>The stored object, for an answer that counts towards a read: refused while the node resyncs (<see cref="ResyncGate"/>).</summary>
    /// <exception cref="ReplicaUnavailableException">This node is being filled again after a long absence.</exception>
    public KvObject? ReadForQuorum(ReadOnlySpan<byte> key) => gate is { IsResyncing: true }
        ? throw new ReplicaUnavailableException("this node is being filled again after a long absence and does not answer reads yet")
        : store.Get(key);

    /// <summary>Applies a client's mutation and returns the object now stored (null if the key is still absent).</summary>
    /// <exception cref="ClockDriftException">The mutation's context carries a timestamp beyond the allowed drift; nothing was stored.</exception>
    /// <exception cref="MutationRejectedException">Wrong type or a bound; nothing was stored.</exception>
    public Task<KvObject?> WriteAsync(byte[] key, Mutation mutation, CancellationToken cancellationToken) =>
        store.UpdateAsync(key, current => Apply(current, mutation), cancellationToken);

    /// <summary>
    /// Applies many clients' mutations, one per key, in one store update (<see cref="IObjectStore.UpdateManyAsync"/>),
    /// each as <see cref="WriteAsync"/> would; a refused key fails on its own.
    /// </summary>
    public Task<UpdateOutcome[]> WriteManyAsync(IReadOnlyList<byte[]> keys, IReadOnlyList<Mutation> mutations, CancellationToken cancellationToken) =>
        store.UpdateManyAsync(keys, (i, current) => Apply(current, mutations[i]), cancellationToken);

    /// <summary>The object a mutation turns <paramref name="current"/> into, with a new dot and timestamp from this replica.</summary>
    private KvObject? Apply(KvObject? current, Mutation mutation)
    {
        var seen = mutation.SeenContext?.Timestamp ?? HlcTimestamp.Zero;
        var held = current?.MaxTimestamp ?? HlcTimestamp.Zero;

        // Folding the context's timestamp in makes the new write later than anything the client
        // read, even if that came from a node whose clock is ahead of ours. Only a timestamp this
        // replica does not already hold is checked for drift: one it minted itself stays
        // acceptable even after its own wall clock has stepped back.
        var timestamp = seen > held ? clock.Observe(seen) : clock.After(held);
        return MutationRules.Apply(current, mutation, store.Actor, timestamp, _limits, store.CollectedCounter);
    }

    /// <summary>
    /// Merges an object from another replica (replication, read repair, a delivered hint) into this
    /// one: the one path every received object takes, so nothing received is written without the
    /// merge. Returns the object now stored.
    /// </summary>
    /// <exception cref="MutationRejectedException">The replicas hold different types for the key; nothing was stored.</exception>
    public Task<KvObject?> MergeAsync(byte[] key, KvObject incoming, CancellationToken cancellationToken)
    {
        ObserveTimestamp(incoming.MaxTimestamp);
        return store.UpdateAsync(key, current => MergeInto(current, incoming), cancellationToken);
    }

    /// <summary>Merges many objects from other replicas, one per key, in one store update; each key as <see cref="MergeAsync"/> would.</summary>
    public Task<UpdateOutcome[]> MergeManyAsync(IReadOnlyList<byte[]> keys, IReadOnlyList<KvObject> incoming, CancellationToken cancellationToken)
    {
        foreach (var obj in incoming)
        {
            ObserveTimestamp(obj.MaxTimestamp);
        }

        return store.UpdateManyAsync(keys, (i, current) => MergeInto(current, incoming[i]), cancellationToken);
    }

    /// <summary>What a key holding <paramref name="current"/> holds after taking in <paramref name="incoming"/>; null when that changes nothing.</summary>
    private static KvObject? MergeInto(KvObject? current, KvObject incoming)
    {
        if (current is null)
        {
            return incoming;
        }

        var merged = current.Merge(incoming);
        return merged.Equals(current) ? null : merged;
    }

    // Keeps this node's clock ahead of writes it receives, so its next write on the key follows
    // them. A timestamp beyond the allowed drift does not move the clock, but the object is merged
    // anyway: refusing it would leave replicas diverged for good.
    private void ObserveTimestamp(HlcTimestamp timestamp)
    {
        if (timestamp == HlcTimestamp.Zero)
        {
            return;
        }

        try
        {
            clock.Observe(timestamp);
        }
        catch (ClockDriftException)
        {
            counters.MergeDrift();
        }
    }
}
