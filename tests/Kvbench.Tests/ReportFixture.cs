using KvStore.Kvbench.Generators;
using KvStore.Kvbench.Report;
using KvStore.Kvbench.Running;

namespace KvStore.Kvbench.Tests;

/// <summary>
/// Fixed results of a whole bench/run, written by kvbench's own JSON writer so that the report is
/// tested against exactly what a run leaves behind.
/// </summary>
internal static class ReportFixture
{
    public static readonly int[] Levels = [1, 4, 16, 64, 128];

    public static readonly IReadOnlyDictionary<string, string> Environment = ResultSet.ParseEnvironment(
    [
        "date: 2025-03-01 10:00 UTC",
        "commit: abc1234",
        "cpu: Test CPU @ 3.0GHz",
        "cores: 2",
        "memory: 23.4 GiB",
        "kernel: Linux 6.1.0-test",
        "os: Debian GNU/Linux 12 (bookworm)",
        "dotnet: 10.0.100",
        "etcd: 3.4.23",
        "loadavg: 0.10 0.20 0.30",
        "server_warmup: 20",
    ]);

    public const string Commands = "dotnet tools/kvbench/bin/Release/net10.0/kvbench.dll --setup kvstore-1 --workload put\n";

    /// <summary>Every measurement bench/run makes, by file name, with round numbers to check ratios against.</summary>
    public static IReadOnlyDictionary<string, string> Files()
    {
        var files = new SortedDictionary<string, string>(StringComparer.Ordinal);
        void Add(string setup, string workload, int concurrency, double throughput, double p99 = 2, double? rate = null, IReadOnlyDictionary<string, long>? errors = null)
        {
            var name = $"{setup}_{workload}_c{concurrency}{(rate is null ? "" : "_rate")}.json";
            files[name] = Json(setup, workload, concurrency, throughput, p99, rate, errors);
        }

        foreach (var c in Levels)
        {
            Add("kvstore-1", "empty", c, 2000 * c);
            Add("kvstore-1", "put", c, 1000 * c);
            Add("kvstore-3", "put", c, 400 * c);
        }

        foreach (var w in BenchSetups.Ycsb)
        {
            Add("kvstore-1", w, 64, 50_000);
            Add("kvstore-3", w, 64, 25_000);
        }

        Add("kvstore-1", "batch", 64, 640_000);
        Add("kvstore-3", "batch", 64, 51_200, errors: new Dictionary<string, long> { ["ResourceExhausted"] = 5_120 });
        Add("kvstore-3", "put", 64, 12_800, p99: 4.5, rate: 12_800);
        Add("kvstore-3-sync", "put", 64, 6_400);
        Add("etcd-3", "put", 64, 8_000);
        return files;
    }

    public static ResultSet Set(IReadOnlyDictionary<string, string>? files = null) => new(
        [.. (files ?? Files()).Select(f => RecordedRun.Parse(f.Key, f.Value))],
        Environment,
        Commands);

    private static string Json(string setup, string workload, int concurrency, double throughput, double p99, double? rate, IReadOnlyDictionary<string, long>? errors)
    {
        var found = Workload.Find(workload)!;
        var settings = new BenchSettings(
            setup.StartsWith("etcd", StringComparison.Ordinal) ? TargetKind.Etcd : TargetKind.KvStore,
            [new Endpoint("127.0.0.1", 7070)],
            found,
            Distribution.Zipfian,
            Records: 100_000,
            Load: found.NeedsLoad,
            ValueSize: 100,
            concurrency,
            Duration: TimeSpan.FromSeconds(10),
            Warmup: TimeSpan.FromSeconds(2),
            "quorum",
            Seed: 1,
            Progress: false,
            BatchSize: 100,
            Rate: rate,
            Setup: setup);
        var ops = (long)(throughput * 10);
        var calls = found.Batched ? ops / 100 : ops;
        var result = new BenchResult(
            settings,
            found.NeedsLoad ? 3.0 : null,
            ops,
            calls,
            10,
            new Latency(p99 / 4, p99 / 2, p99, p99 * 2, p99 * 3),
            errors ?? new Dictionary<string, long>(),
            new Dictionary<string, long> { [BenchRunner.OperationName(found.Batched ? Operation.BatchPut : Operation.Update)] = ops });
        return ResultFormat.Json(result);
    }
}
