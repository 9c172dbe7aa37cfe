using KvStore.Cluster.Routing;
using KvStore.Core.Crdt;
using KvStore.Storage;

namespace KvStore.Cluster.Replication;

/// <summary>
/// What this node does for its peers, whatever carries the call: coordinate a write it is a
/// replica for, read its replica, merge an object in or hold it as a hint. The gRPC peer service
/// and the in-memory transport of the tests both call this, so they behave alike.
/// </summary>
public sealed class PeerHandler(Coordinator coordinator, LocalReplica replica, IHintStore hints, Router router)
{
    public Task<KvObject?> CoordinateAsync(byte[] key, Mutation mutation, ConsistencyLevel level, CancellationToken cancellationToken) =>
        coordinator.CoordinateAsync(key, mutation, level, cancellationToken);

    /// <summary>As <see cref="CoordinateAsync(byte[], Mutation, ConsistencyLevel, CancellationToken)"/>, refused once its sender has stopped waiting for the answer.</summary>
    public Task<KvObject?> CoordinateAsync(byte[] key, Mutation mutation, ConsistencyLevel level, DateTimeOffset expiresAt, CancellationToken cancellationToken) =>
        coordinator.CoordinateForwardedAsync(key, mutation, level, expiresAt, cancellationToken);

    /// <exception cref="ReplicaUnavailableException">This node resyncs after a long absence and answers no reads yet.</exception>
    public ReplicaRead Read(byte[] key, bool includeHints) =>
        new(replica.ReadForQuorum(key), includeHints ? hints.HintsForKey(key) : []);

    /// <exception cref="ReplicaUnavailableException">A hint was refused: this node holds its bound of hints for the target.</exception>
    /// <exception cref="RequestRejectedException">A hint for a node that is not on the ring.</exception>
    public async Task MergeAsync(byte[] key, KvObject obj, string? hintFor, CancellationToken cancellationToken)
    {
        if (!string.IsNullOrEmpty(hintFor) && hintFor != router.Current.SelfId)
        {
            // Hints only for ring members: the hint store keeps a table per target, which must not grow with whatever names a peer sends.
            if (router.Current.Find(hintFor) is not { } target || !RoutingTable.OnRing(target))
            {
                throw new RequestRejectedException($"{hintFor} is not a member of the ring; no hint is kept for it");
            }

            if (!await hints.AddHintAsync(hintFor, key, obj, cancellationToken))
            {
                throw new ReplicaUnavailableException($"this node holds its limit of hints for {hintFor}");
            }

            return;
        }

        await replica.MergeAsync(key, obj, cancellationToken);
    }

    /// <summary>
    /// Merges objects from other replicas into this one, one per key, in one store update: the
    /// replication a peer's stream carries in one message. Hints take <see cref="MergeAsync"/>.
    /// </summary>
    /// <returns>Per key, in order, the object now stored or why it was refused.</returns>
    public Task<UpdateOutcome[]> MergeManyAsync(IReadOnlyList<byte[]> keys, IReadOnlyList<KvObject> objects, CancellationToken cancellationToken) =>
        replica.MergeManyAsync(keys, objects, cancellationToken);
}
