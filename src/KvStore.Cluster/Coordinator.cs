using KvStore.Core.Crdt;

namespace KvStore.Cluster;

/// <summary>
/// Carries out a client's request for a key. On a single node every consistency level is met by
/// the node's own replica; the cluster replaces this with a coordinator that asks the key's
/// preference list.
/// </summary>
public sealed class Coordinator(LocalReplica replica)
{
    public Task<KvObject?> ReadAsync(byte[] key, ConsistencyLevel consistency, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        _ = consistency;
        return Task.FromResult(replica.Read(key));
    }

    public Task<KvObject?> WriteAsync(byte[] key, Mutation mutation, ConsistencyLevel consistency, CancellationToken cancellationToken)
    {
        _ = consistency;
        return replica.WriteAsync(key, mutation, cancellationToken);
    }
}
