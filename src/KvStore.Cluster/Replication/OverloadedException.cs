namespace KvStore.Cluster.Replication;

/// <summary>The node coordinates as many requests as its bound allows (RESOURCE_EXHAUSTED); the client may retry elsewhere or later.</summary>
public sealed class OverloadedException(string message) : Exception(message);
