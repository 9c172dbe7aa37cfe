using System.Globalization;
using System.Text;
using System.Text.Json;

namespace KvStore.Kvbench.Running;

/// <summary>A result as text for people or as one JSON object for scripts and comparisons.</summary>
internal static class ResultFormat
{
    public static string Text(BenchResult r)
    {
        var s = r.Settings;
        var text = new StringBuilder();
        var inv = CultureInfo.InvariantCulture;
        if (s.Setup is not null)
        {
            text.AppendLine(inv, $"setup        {s.Setup}");
        }

        text.AppendLine(inv, $"workload     {s.Workload.Name} ({s.Workload.Description}{BatchText(s)}), {DistributionText(s)}");
        text.AppendLine(inv, $"target       {TargetName(s.Target)} at {string.Join(',', s.Endpoints)}{(s.Target == TargetKind.KvStore ? $", consistency {s.Consistency}" : "")}");
        text.AppendLine(inv, $"parameters   {s.Records} records{LoadText(r)}, {s.ValueSize}-byte values, {s.Concurrency} callers, {s.Duration.TotalSeconds:0.###} s after {s.Warmup.TotalSeconds:0.###} s warm-up, seed {s.Seed}");
        text.AppendLine(inv, $"throughput   {r.Throughput:0.0} ops/s ({r.Ops} ops){(s.Workload.Batched ? $" in {r.CallRate:0.0} calls/s ({r.Calls} calls)" : "")}");
        if (s.Rate is { } rate)
        {
            text.AppendLine(inv, $"rate         target {rate:0.#} ops/s, achieved {r.Throughput:0.0} ops/s; latency counted from when each call was due");
        }

        text.AppendLine(inv, $"latency ms   {(s.Workload.Batched ? "per call: " : "")}p50 {r.Latency.P50:0.000}  p95 {r.Latency.P95:0.000}  p99 {r.Latency.P99:0.000}  p99.9 {r.Latency.P999:0.000}  max {r.Latency.Max:0.000}");
        text.AppendLine(inv, $"operations   {(r.Operations.Count == 0 ? "none" : string.Join(", ", r.Operations.Select(o => $"{o.Key} {o.Value}")))}");
        text.AppendLine(inv, $"errors       {(r.Errors.Count == 0 ? "none" : string.Join(", ", r.Errors.Select(e => $"{e.Key} {e.Value}")) + string.Create(inv, $" ({r.FailedFraction:0.##%} of operations)"))}");
        return text.ToString();
    }

    public static string Json(BenchResult r)
    {
        var s = r.Settings;
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            if (s.Setup is not null)
            {
                json.WriteString("setup", s.Setup);
            }

            json.WriteString("target", TargetName(s.Target));
            json.WriteStartArray("endpoints");
            foreach (var e in s.Endpoints)
            {
                json.WriteStringValue(e.ToString());
            }

            json.WriteEndArray();
            json.WriteString("workload", s.Workload.Name);
            json.WriteString("distribution", s.Workload.ReadsLatest ? "latest" : Name(s.Distribution));
            json.WriteNumber("records", s.Records);
            json.WriteBoolean("loaded", r.LoadSeconds is not null);
            if (r.LoadSeconds is { } load)
            {
                json.WriteNumber("loadSeconds", Math.Round(load, 3));
            }

            json.WriteNumber("valueSize", s.ValueSize);
            json.WriteNumber("concurrency", s.Concurrency);
            if (s.Workload.Batched)
            {
                json.WriteNumber("batchSize", s.BatchSize);
            }

            if (s.Rate is { } rate)
            {
                json.WriteNumber("targetRate", rate);
            }

            json.WriteNumber("durationSeconds", s.Duration.TotalSeconds);
            json.WriteNumber("warmupSeconds", s.Warmup.TotalSeconds);
            if (s.Target == TargetKind.KvStore)
            {
                json.WriteString("consistency", s.Consistency);
            }

            json.WriteNumber("seed", s.Seed);
            json.WriteNumber("ops", r.Ops);
            json.WriteNumber("throughput", Math.Round(r.Throughput, 1));
            if (s.Workload.Batched)
            {
                json.WriteNumber("calls", r.Calls);
                json.WriteNumber("callsPerSecond", Math.Round(r.CallRate, 1));
            }

            json.WriteStartObject("latencyMs");
            json.WriteNumber("p50", r.Latency.P50);
            json.WriteNumber("p95", r.Latency.P95);
            json.WriteNumber("p99", r.Latency.P99);
            json.WriteNumber("p999", r.Latency.P999);
            json.WriteNumber("max", r.Latency.Max);
            json.WriteEndObject();
            json.WriteStartObject("operations");
            foreach (var (name, count) in r.Operations)
            {
                json.WriteNumber(name, count);
            }

            json.WriteEndObject();
            json.WriteNumber("errorCount", r.ErrorCount);
            json.WriteStartObject("errors");
            foreach (var (name, count) in r.Errors)
            {
                json.WriteNumber(name, count);
            }

            json.WriteEndObject();
            json.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    public static string TargetName(TargetKind target) => target switch
    {
        TargetKind.Etcd => "etcd",
        TargetKind.Redis => "redis",
        _ => "kvstore",
    };

    private static string Name(Generators.Distribution d) => d == Generators.Distribution.Uniform ? "uniform" : "zipfian";

    private static string BatchText(BenchSettings s) =>
        s.Workload.Batched ? string.Create(CultureInfo.InvariantCulture, $", {s.BatchSize} puts a call") : "";

    private static string DistributionText(BenchSettings s) =>
        s.Workload == Workload.EmptyCall ? "no keys"
        : s.Workload.ReadsLatest ? "reads skewed to the latest inserts"
        : $"{Name(s.Distribution)} keys";

    private static string LoadText(BenchResult r) =>
        r.LoadSeconds is { } load ? string.Create(CultureInfo.InvariantCulture, $" (loaded in {load:0.0} s)") : r.Settings.Workload.NeedsLoad ? " (not loaded)" : "";
}
