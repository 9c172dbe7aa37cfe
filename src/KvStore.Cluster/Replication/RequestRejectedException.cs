namespace KvStore.Cluster.Replication;

/// <summary>A peer refused a request as invalid, for example a context timestamp beyond its allowed drift (INVALID_ARGUMENT).</summary>
public sealed class RequestRejectedException(string message) : Exception(message);
