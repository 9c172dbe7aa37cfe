using System.Text.Json;

namespace KvStore.Kvbench.Report;

/// <summary>One measurement as kvbench wrote it with --json-out, read back for the report.</summary>
/// <param name="Setup">What was measured (--setup), or the target's name if the run gave none.</param>
/// <param name="TargetRate">Operations a second the run was paced at (--rate); null for closed loops.</param>
/// <param name="CallsPerSecond">Calls a second of a batch run; null for others.</param>
internal sealed record RecordedRun(
    string File,
    string Setup,
    string Target,
    string Workload,
    int Concurrency,
    long Ops,
    double Throughput,
    double? CallsPerSecond,
    int? BatchSize,
    double? TargetRate,
    RecordedLatency Latency,
    long ErrorCount,
    IReadOnlyDictionary<string, long> Errors,
    long Records,
    int ValueSize,
    double DurationSeconds,
    double WarmupSeconds,
    string? Consistency)
{
    public bool Paced => TargetRate is not null;

    /// <summary>The share of the window's operations that failed.</summary>
    public double FailedFraction => Ops + ErrorCount == 0 ? 0 : (double)ErrorCount / (Ops + ErrorCount);

    /// <summary>Reads one result; throws <see cref="FormatException"/> naming the file if it is not one.</summary>
    public static RecordedRun Parse(string file, string json)
    {
        try
        {
            using var document = JsonDocument.Parse(json);
            var root = document.RootElement;
            var target = root.GetProperty("target").GetString()!;
            var latency = root.GetProperty("latencyMs");
            var errors = new SortedDictionary<string, long>(StringComparer.Ordinal);
            foreach (var error in root.GetProperty("errors").EnumerateObject())
            {
                errors[error.Name] = error.Value.GetInt64();
            }

            return new RecordedRun(
                file,
                root.TryGetProperty("setup", out var setup) ? setup.GetString()! : target,
                target,
                root.GetProperty("workload").GetString()!,
                root.GetProperty("concurrency").GetInt32(),
                root.GetProperty("ops").GetInt64(),
                root.GetProperty("throughput").GetDouble(),
                root.TryGetProperty("callsPerSecond", out var calls) ? calls.GetDouble() : null,
                root.TryGetProperty("batchSize", out var batch) ? batch.GetInt32() : null,
                root.TryGetProperty("targetRate", out var rate) ? rate.GetDouble() : null,
                new RecordedLatency(
                    latency.GetProperty("p50").GetDouble(),
                    latency.GetProperty("p95").GetDouble(),
                    latency.GetProperty("p99").GetDouble(),
                    latency.GetProperty("p999").GetDouble(),
                    latency.GetProperty("max").GetDouble()),
                root.GetProperty("errorCount").GetInt64(),
                errors,
                root.GetProperty("records").GetInt64(),
                root.GetProperty("valueSize").GetInt32(),
                root.GetProperty("durationSeconds").GetDouble(),
                root.GetProperty("warmupSeconds").GetDouble(),
                root.TryGetProperty("consistency", out var consistency) ? consistency.GetString() : null);
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            throw new FormatException($"{file} is not a kvbench JSON result: {e.Message}", e);
        }
    }
}

/// <summary>Latency percentiles of a recorded run, in milliseconds.</summary>
internal sealed record RecordedLatency(double P50, double P95, double P99, double P999, double Max);
