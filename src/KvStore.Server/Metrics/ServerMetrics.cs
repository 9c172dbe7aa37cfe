using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using Grpc.Core;
using KvStore.Core.Clock;
using KvStore.Storage;

namespace KvStore.Server.Metrics;

/// <summary>Counters exposed at /metrics in the Prometheus text format.</summary>
internal sealed class ServerMetrics(IObjectStore store, HybridLogicalClock clock)
{
    // Bounded: methods and status codes are both fixed, small sets.
    private readonly ConcurrentDictionary<(string Method, StatusCode Status), long> _calls = new();

    public void RecordCall(string method, StatusCode status) =>
        _calls.AddOrUpdate((method, status), 1, static (_, n) => n + 1);

    public string Render()
    {
        var sb = new StringBuilder();
        sb.Append("# HELP kvstore_grpc_calls_total Client calls by method and status.\n");
        sb.Append("# TYPE kvstore_grpc_calls_total counter\n");
        foreach (var ((method, status), n) in _calls.OrderBy(p => p.Key.Method, StringComparer.Ordinal).ThenBy(p => p.Key.Status))
        {
            sb.Append(CultureInfo.InvariantCulture, $"kvstore_grpc_calls_total{{method=\"{method}\",status=\"{status}\"}} {n}\n");
        }

        Counter(sb, "kvstore_storage_batches_total", "Write batches committed to RocksDB.", store.Stats.Batches);
        Counter(sb, "kvstore_storage_writes_total", "Object writes committed to RocksDB.", store.Stats.Writes);
        Gauge(sb, "kvstore_storage_largest_batch", "Most writes committed in one batch.", store.Stats.LargestBatch);
        Counter(sb, "kvstore_clock_drift_rejections_total", "Timestamps refused for being too far ahead of this node's clock.", clock.RejectedCount);
        return sb.ToString();
    }

    private static void Counter(StringBuilder sb, string name, string help, long value) => Metric(sb, name, "counter", help, value);

    private static void Gauge(StringBuilder sb, string name, string help, long value) => Metric(sb, name, "gauge", help, value);

    private static void Metric(StringBuilder sb, string name, string type, string help, long value) =>
        sb.Append(CultureInfo.InvariantCulture, $"# HELP {name} {help}\n# TYPE {name} {type}\n{name} {value}\n");
}
