namespace KvStore.Kvbench.Report;

/// <summary>
/// The --setup names bench/run gives its measurements, which the report looks results up by, and
/// how the report calls them.
/// </summary>
internal static class BenchSetups
{
    public const string OneNode = "kvstore-1";
    public const string ThreeNodes = "kvstore-3";
    public const string ThreeNodesSync = "kvstore-3-sync";
    public const string Etcd = "etcd-3";

    /// <summary>The concurrency the targets are stated at.</summary>
    public const int TargetConcurrency = 64;

    /// <summary>YCSB's core workloads that kvbench runs, in order.</summary>
    public static IReadOnlyList<string> Ycsb { get; } = ["A", "B", "C", "D", "F"];

    public static string Describe(string setup) => setup switch
    {
        OneNode => "KvStore, 1 node",
        ThreeNodes => "KvStore, 3 nodes (N=3, W=2)",
        ThreeNodesSync => "KvStore, 3 nodes, --sync",
        Etcd => "etcd, 3 members",
        _ => setup,
    };
}
