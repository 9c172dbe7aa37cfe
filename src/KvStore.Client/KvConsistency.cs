namespace KvStore.Client;

/// <summary>
/// How many replicas must answer a request before it succeeds. Stronger levels trade latency and
/// availability for fresher reads and more durable writes; on a single node every level is met by
/// the node itself. Values match the wire enum and are append-only.
/// </summary>
public enum KvConsistency
{
    /// <summary>
    /// The client's <see cref="KvClientOptions.DefaultConsistency"/>, and if that is also
    /// <c>Default</c>, the server's configured level (QUORUM).
    /// </summary>
    Default = 0,

    /// <summary>One replica: fastest, may read stale data.</summary>
    One = 1,

    /// <summary>A majority of replicas: a quorum read overlaps every quorum write.</summary>
    Quorum = 2,

    /// <summary>Every replica: fails as soon as one replica is down.</summary>
    All = 3,
}
