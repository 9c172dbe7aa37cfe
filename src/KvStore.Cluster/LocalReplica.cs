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
public sealed class LocalReplica(IObjectStore store, HybridLogicalClock clock, IOptions<ReplicaOptions> options)
{
    private readonly ObjectLimits _limits = new(options.Value.MaxSetElements, options.Value.MaxVersionVectorWidth);

    public ActorId Actor => store.Actor;

    public HybridLogicalClock Clock => clock;

    public KvObject? Read(ReadOnlySpan<byte> key) => store.Get(key);

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
                return MutationRules.Apply(current, mutation, store.Actor, timestamp, _limits);
            },
            cancellationToken);
    }
}
