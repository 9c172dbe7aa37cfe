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
    public Task<KvObject?> WriteAsync(byte[] key, Mutation mutation, CancellationToken cancellationToken)
    {
        var seen = mutation.SeenContext?.Timestamp ?? HlcTimestamp.Zero;
        return store.UpdateAsync(
            key,
            current =>
            {
                var held = current?.MaxTimestamp ?? HlcTimestamp.Zero;

                // Folding the context's timestamp in makes the new write later than anything the
                // client read, even if that came from a node whose clock is ahead of ours. Only a
                // timestamp this replica does not already hold is checked for drift: one it minted
                // itself stays acceptable even after its own wall clock has stepped back.
                var timestamp = seen > held ? clock.Observe(seen) : clock.After(held);
                return MutationRules.Apply(current, mutation, store.Actor, timestamp, _limits, store.CollectedCounter);
            },
            cancellationToken);
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
        return store.UpdateAsync(
            key,
            current =>
            {
                if (current is null)
                {
                    return incoming;
                }

                var merged = current.Merge(incoming);
                return merged.Equals(current) ? null : merged;
            },
            cancellationToken);
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
