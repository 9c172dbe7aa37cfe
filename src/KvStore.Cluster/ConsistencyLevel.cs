namespace KvStore.Cluster;

/// <summary>How many replicas must answer a request. Values mirror the public API's enum.</summary>
public enum ConsistencyLevel
{
    Default = 0,
    One = 1,
    Quorum = 2,
    All = 3,
}
