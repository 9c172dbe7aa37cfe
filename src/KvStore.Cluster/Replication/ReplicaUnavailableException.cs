namespace KvStore.Cluster.Replication;

/// <summary>Fewer replicas answered than the consistency level needs (the client API's UNAVAILABLE).</summary>
public sealed class ReplicaUnavailableException(string message) : Exception(message);
