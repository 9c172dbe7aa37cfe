namespace KvStore.Cluster.Replication;

/// <summary>A peer could not be reached or did not answer in time.</summary>
/// <param name="peer">The peer's node id or address.</param>
/// <param name="message">What went wrong.</param>
/// <param name="notDelivered">
/// True only when the request certainly never reached the peer (the connection was refused), so
/// the operation certainly did not run there; otherwise it may or may not have run.
/// </param>
/// <param name="inner">The transport's exception.</param>
public sealed class PeerUnreachableException(string peer, string message, bool notDelivered = false, Exception? inner = null)
    : Exception($"{peer}: {message}", inner)
{
    public string Peer { get; } = peer;

    public bool NotDelivered { get; } = notDelivered;
}
