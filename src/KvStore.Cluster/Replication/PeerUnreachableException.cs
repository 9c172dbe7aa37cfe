namespace KvStore.Cluster.Replication;

/// <summary>A peer could not be reached or did not answer in time; the operation may or may not have happened there.</summary>
public sealed class PeerUnreachableException(string peer, string message, Exception? inner = null)
    : Exception($"{peer}: {message}", inner)
{
    public string Peer { get; } = peer;
}
