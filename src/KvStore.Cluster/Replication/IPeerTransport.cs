using KvStore.Core.Crdt;
using KvStore.Core.Membership;
using KvStore.Storage;

namespace KvStore.Cluster.Replication;

/// <summary>
/// How a coordinator reaches other nodes' replicas. The server implements it over the peer gRPC
/// service; tests and the simulator implement it in memory.
/// </summary>
/// <remarks>
/// A call that cannot reach the target, or gets no answer in time, throws
/// <see cref="PeerUnreachableException"/>. A refusal by the target (wrong type, a bound, clock
/// drift) throws the same exception the local replica would have thrown.
/// </remarks>
public interface IPeerTransport
{
    /// <summary>Has <paramref name="target"/>, a replica of the key, coordinate a client's mutation; returns the object it stored.</summary>
    Task<KvObject?> CoordinateAsync(Member target, byte[] key, Mutation mutation, ConsistencyLevel level, CancellationToken cancellationToken);

    /// <summary>Reads <paramref name="target"/>'s replica of the key, and optionally the hints it holds for the key.</summary>
    Task<ReplicaRead> ReadAsync(Member target, byte[] key, bool includeHints, CancellationToken cancellationToken);

    /// <summary>
    /// Merges <paramref name="obj"/> into <paramref name="target"/>'s replica, or, with
    /// <paramref name="hintFor"/>, has the target hold it durably as a hint for that node.
    /// Completes once the target acknowledged a durable write.
    /// </summary>
    Task MergeAsync(Member target, byte[] key, KvObject obj, string? hintFor, CancellationToken cancellationToken);

    /// <summary>
    /// Merges many keys' objects into the target's replica (no hints), each as <see cref="MergeAsync"/>
    /// would, in one message where the transport can: the replication of a batch of writes.
    /// </summary>
    /// <returns>Per key, in order, null when merged, else what <see cref="MergeAsync"/> would have thrown.</returns>
    async Task<Exception?[]> MergeManyAsync(Member target, IReadOnlyList<byte[]> keys, IReadOnlyList<KvObject> objects, CancellationToken cancellationToken)
    {
        var errors = new Exception?[keys.Count];
        var merges = new Task[keys.Count];
        for (var i = 0; i < keys.Count; i++)
        {
            merges[i] = MergeAsync(target, keys[i], objects[i], null, cancellationToken);
        }

        for (var i = 0; i < keys.Count; i++)
        {
            try
            {
                await merges[i];
            }
            catch (Exception e)
            {
                errors[i] = e;
            }
        }

        return errors;
    }
}

/// <summary>A replica's answer to a read.</summary>
public sealed record ReplicaRead(KvObject? Object, IReadOnlyList<Hint> Hints)
{
    public static ReplicaRead Of(KvObject? obj) => new(obj, []);
}
