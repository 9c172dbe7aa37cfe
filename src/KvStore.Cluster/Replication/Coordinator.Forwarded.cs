using KvStore.Core.Crdt;

namespace KvStore.Cluster.Replication;

public sealed partial class Coordinator
{
    /// <summary>
    /// How long a node that forwarded a write waits for the replica it forwarded to, in units of
    /// <see cref="ReplicationOptions.PeerTimeout"/>: the replica coordinates the whole write,
    /// replication included.
    /// </summary>
    public const int ForwardTimeoutFactor = 4;

    /// <summary>
    /// Coordinates a write another node forwarded, unless it arrives after that node stopped
    /// waiting for the answer. A request held up in a cut link can arrive long after the client was
    /// told the write was not confirmed and has written again; minted then, with a fresh
    /// timestamp, it would overwrite the writes acknowledged since. Nobody expects the answer any
    /// more, so it is refused and nothing is written.
    /// </summary>
    /// <param name="expiresAt">When the sender stops waiting, by its clock: clock skew between the two nodes moves the limit by as much.</param>
    /// <exception cref="ReplicaUnavailableException">The sender has stopped waiting; nothing was written.</exception>
    public Task<KvObject?> CoordinateForwardedAsync(
        byte[] key, Mutation mutation, ConsistencyLevel level, DateTimeOffset expiresAt, CancellationToken cancellationToken)
    {
        var late = time.GetUtcNow() - expiresAt;
        if (late > TimeSpan.Zero)
        {
            counters.StaleForwardRefused();
            throw new ReplicaUnavailableException(
                $"the forwarded write arrived {late.TotalSeconds:F1} s after its sender stopped waiting for it; nothing was written");
        }

        return CoordinateAsync(key, mutation, level, cancellationToken);
    }
}
