using System.Globalization;
using System.Text;

namespace KvStore.Kvbench.Report;

/// <summary>
/// Writes docs/BENCHMARKS.md from one run's results: the machine, how it was measured, the
/// targets with each ratio computed against its baseline from the same run, the tables, the chart
/// and how to run it again. Every number on the page comes from the results.
/// </summary>
internal static class BenchmarkReport
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>The chart: throughput against concurrency for the single node, the cluster, and the empty call.</summary>
    public static LineChart Chart(ResultSet results) => new(
        "Throughput against concurrency, 100-byte puts",
        "callers (each with one call in flight; log scale)",
        "operations per second",
        [
            Series(results, BenchSetups.OneNode, "put", "KvStore put, 1 node", "#1f77b4", dashed: false),
            Series(results, BenchSetups.ThreeNodes, "put", "KvStore put, 3 nodes (N=3, W=2)", "#d62728", dashed: false),
            Series(results, BenchSetups.OneNode, "empty", "empty gRPC call, 1 node (baseline)", "#7f7f7f", dashed: true),
        ]);

    /// <param name="chartLink">The chart's path relative to the page.</param>
    public static string Markdown(ResultSet results, string chartLink)
    {
        var md = new StringBuilder();
        var env = results.Environment;
        md.Append("# Benchmarks\n\n");
        md.Append("<!-- Written by bench/run (kvbench report) from docs/bench/results/. Do not edit: run bench/run again. -->\n\n");
        md.Append(Inv, $"Measured {Fact(env, "date", "on an unrecorded date")}{(env.TryGetValue("commit", out var commit) ? $" at commit `{commit}`" : "")} by `bench/run`, ");
        md.Append("which builds the server and kvbench in Release, starts every server it measures on 127.0.0.1, ");
        md.Append(Inv, $"runs the measurements below and writes this page, [the chart]({chartLink}) and the raw results (`docs/bench/results/`, one JSON file per measurement). ");
        md.Append("Every number here comes from that one run.\n\n");

        Summary(md, results);
        Machine(md, env);
        Method(md, results);
        Concurrency(md, results, chartLink);
        Ycsb(md, results);
        Batch(md, results);
        Etcd(md, results);
        HalfLoad(md, results);
        Failures(md, results);
        Commands(md, results);
        Rerun(md);
        return md.ToString();
    }

    private static void Summary(StringBuilder md, ResultSet r)
    {
        const int c = BenchSetups.TargetConcurrency;
        md.Append("## The targets\n\n");
        md.Append("Each ratio divides the measurement by its baseline, both from this run, both with the same client.\n\n");
        md.Append("| target | measured | baseline | ratio | goal | |\n");
        md.Append("| --- | ---: | ---: | ---: | ---: | --- |\n");
        RatioRow(md, $"(a) 1 node, {c} callers: 100-byte puts against an empty gRPC call", r.Find(BenchSetups.OneNode, "put", c), r.Find(BenchSetups.OneNode, "empty", c), 0.5);
        RatioRow(md, $"(b) 3 nodes, N=3 W=2, {c} callers: puts against a 3-member etcd", r.Find(BenchSetups.ThreeNodes, "put", c), r.Find(BenchSetups.Etcd, "put", c), 3);
        RatioRow(md, $"(b) the same with `--sync` (fsync before ack) against etcd", r.Find(BenchSetups.ThreeNodesSync, "put", c), r.Find(BenchSetups.Etcd, "put", c), 1);
        RatioRow(md, $"(c) 1 node, {c} callers: {BatchText(r.Find(BenchSetups.OneNode, "batch", c))} against single puts", r.Find(BenchSetups.OneNode, "batch", c), r.Find(BenchSetups.OneNode, "put", c), 5);
        RatioRow(md, $"(c) 3 nodes, {c} callers: {BatchText(r.Find(BenchSetups.ThreeNodes, "batch", c))} against single puts", r.Find(BenchSetups.ThreeNodes, "batch", c), r.Find(BenchSetups.ThreeNodes, "put", c), 5);

        var paced = r.FindPaced(BenchSetups.ThreeNodes, "put");
        var max = r.Find(BenchSetups.ThreeNodes, "put", c);
        if (paced is null)
        {
            md.Append("| (d) 3 nodes, puts at half the maximum throughput: p99 latency | not measured | | | ≤ 5 ms | |\n");
        }
        else
        {
            var baseline = max is null ? "" : $"half of {Ops(max.Throughput)} ops/s";
            md.Append(Inv, $"| (d) 3 nodes, puts at half the {c}-caller maximum: p99 latency | {Ms(paced.Latency.P99)} ms at {Ops(paced.Throughput)} ops/s{FailedNote(paced)} | {baseline} | | ≤ 5 ms | {Verdict(paced.Latency.P99 <= 5)} |\n");
        }

        md.Append("| (e) YCSB A, B, C, D, F on 1 and 3 nodes | [below](#ycsb-workloads) | | | | |\n\n");
    }

    private static void Machine(StringBuilder md, IReadOnlyDictionary<string, string> env)
    {
        md.Append("## The machine\n\n");
        md.Append("| | |\n| --- | --- |\n");
        foreach (var (key, name) in new[]
        {
            ("cpu", "CPU"), ("cores", "cores (nproc)"), ("memory", "memory"), ("os", "OS"), ("kernel", "kernel"),
            ("dotnet", ".NET SDK"), ("etcd", "etcd"), ("loadavg", "load average before the run (1, 5, 15 min)"),
        })
        {
            md.Append(Inv, $"| {name} | {Fact(env, key, "not recorded")} |\n");
        }

        md.Append('\n');
        md.Append("**Client and servers share these cores.** kvbench, every KvStore node and every etcd member ran on this one machine, ");
        md.Append("so three nodes and the client compete for the same cores, and a cluster here shows what replication costs rather than what three machines would add. ");
        md.Append("The numbers compare KvStore with itself and with baselines measured the same way; they are not the capacity of a node on hardware of its own.\n\n");
    }

    private static void Method(StringBuilder md, ResultSet r)
    {
        var typical = r.Find(BenchSetups.OneNode, "put", BenchSetups.TargetConcurrency) ?? r.Runs.FirstOrDefault();
        md.Append("## How it was measured\n\n");
        if (typical is not null)
        {
            md.Append(Inv, $"- Each measurement is one run of kvbench: a number of callers, each with one call in flight (send, wait for the answer, send the next), for {Secs(typical.WarmupSeconds)} s that are not recorded and then {Secs(typical.DurationSeconds)} s that are. ");
            md.Append(Inv, $"Values are {typical.ValueSize} bytes; the YCSB workloads read and update {typical.Records:N0} records, chosen by YCSB's scrambled Zipfian, and so do the puts. ");
            md.Append("Throughput counts the operations that succeeded in the recorded window; latencies are of those operations (of each call, for batches), from an HdrHistogram.\n");
        }

        md.Append(Inv, $"- KvStore runs as the Release build of `src/KvStore.Server`, each node with its own data directory in a fresh temporary folder; requests use consistency `{typical?.Consistency ?? "quorum"}` ");
        md.Append("(with three nodes, N=3: a put waits for W=2 replicas, a read for R=2; a single node meets every level by itself). kvbench sends its requests round-robin over every node of a cluster. ");
        md.Append("`--sync` makes each node fsync its write-ahead log before it acknowledges a write; without it a write is acknowledged once it is in RocksDB's write-ahead log in the operating system's buffers, before it reaches the disk.\n");
        md.Append(Inv, $"- **Warm-up of fresh servers.** A .NET server compiles its hot paths again with full optimisation during its first 20-30 s under load (tiered JIT) and runs much slower until then. So before measuring each freshly started set of KvStore servers, bench/run sends {Fact(r.Environment, "server_warmup", "some")} s of puts from 64 callers that are not recorded.\n");
        md.Append("- **Baselines.** The empty call is a gRPC health check to the same node by the same client: a round trip that does no work, the most a put could reach. ");
        md.Append("etcd runs as 3 members on this machine, each with its own data directory, driven through its gRPC KV API by the same client loop round-robin over the three; etcd fsyncs its log before it answers, so `--sync` is the like-for-like durability comparison.\n");
        md.Append("- **Half load.** After the 3-node closed-loop runs, bench/run runs puts with `--rate` at half the 64-caller throughput just measured: the 64 callers share that rate, each sending on a fixed schedule, and each call's latency counts from when it was due, so a stall shows in every call it held up (coordinated omission corrected).");
        if (r.FindPaced(BenchSetups.ThreeNodes, "put") is { } paced)
        {
            md.Append(Inv, $" This run's calls are recorded after {Secs(paced.WarmupSeconds)} s of paced calls that are not: a freshly started kvbench compiles its own hot paths again during its first seconds, and a paced call delayed by that would count against the servers.");
        }

        md.Append("\n\n");
    }

    private static void Concurrency(StringBuilder md, ResultSet r, string chartLink)
    {
        md.Append("## Throughput against concurrency\n\n");
        md.Append(Inv, $"![Throughput against concurrency: KvStore put on 1 and 3 nodes, and the empty call]({chartLink})\n\n");
        md.Append("| callers | empty call, 1 node (ops/s) | put, 1 node (ops/s) | put / empty | put p50 / p99, 1 node (ms) | put, 3 nodes (ops/s) | put p50 / p99, 3 nodes (ms) |\n");
        md.Append("| ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n");
        var levels = r.Concurrencies(BenchSetups.OneNode, "put")
            .Concat(r.Concurrencies(BenchSetups.OneNode, "empty"))
            .Concat(r.Concurrencies(BenchSetups.ThreeNodes, "put"))
            .Distinct().Order();
        foreach (var c in levels)
        {
            var empty = r.Find(BenchSetups.OneNode, "empty", c);
            var one = r.Find(BenchSetups.OneNode, "put", c);
            var three = r.Find(BenchSetups.ThreeNodes, "put", c);
            md.Append(Inv, $"| {c} | {Throughput(empty)} | {Throughput(one)} | {Ratio(one, empty)} | {Latencies(one)} | {Throughput(three)} | {Latencies(three)} |\n");
        }

        md.Append(Inv, $"\nGoal: put / empty ≥ 0.5x at {BenchSetups.TargetConcurrency} callers.\n\n");
    }

    private static void Ycsb(StringBuilder md, ResultSet r)
    {
        const int c = BenchSetups.TargetConcurrency;
        md.Append("## YCSB workloads\n\n");
        md.Append(Inv, $"{c} callers. A: 50% read, 50% update. B: 95% read, 5% update. C: 100% read. D: 95% read of the latest records, 5% insert. F: 50% read, 50% read-modify-write (a get, then a put with its context, counted as one operation). ");
        md.Append("There is no E: KvStore has no range scan. There is no goal for these; the ratio shows what three replicas cost against one node.\n\n");
        md.Append("| workload | 1 node (ops/s) | p50 / p99, 1 node (ms) | 3 nodes (ops/s) | p50 / p99, 3 nodes (ms) | 3 nodes / 1 node |\n");
        md.Append("| --- | ---: | ---: | ---: | ---: | ---: |\n");
        foreach (var w in BenchSetups.Ycsb)
        {
            var one = r.Find(BenchSetups.OneNode, w, c);
            var three = r.Find(BenchSetups.ThreeNodes, w, c);
            md.Append(Inv, $"| {w} | {Throughput(one)} | {Latencies(one)} | {Throughput(three)} | {Latencies(three)} | {Ratio(three, one)} |\n");
        }

        md.Append('\n');
    }

    private static void Batch(StringBuilder md, ResultSet r)
    {
        const int c = BenchSetups.TargetConcurrency;
        md.Append("## Batch against single puts\n\n");
        md.Append(Inv, $"{c} callers either way; a batch call carries puts of fresh values to keys chosen as for single puts. Latency is per call.\n\n");
        md.Append("| setup | Batch (ops/s) | calls/s | per call p50 / p99 (ms) | single puts (ops/s) | Batch / single | goal |\n");
        md.Append("| --- | ---: | ---: | ---: | ---: | ---: | ---: |\n");
        foreach (var setup in new[] { BenchSetups.OneNode, BenchSetups.ThreeNodes })
        {
            var batch = r.Find(setup, "batch", c);
            var single = r.Find(setup, "put", c);
            var calls = batch?.CallsPerSecond is { } cps ? Ops(cps) : "";
            md.Append(Inv, $"| {BenchSetups.Describe(setup)}{(batch?.BatchSize is { } size ? $", {size} puts a call" : "")} | {Throughput(batch)} | {calls} | {Latencies(batch)} | {Throughput(single)} | {Ratio(batch, single)} | ≥ 5x |\n");
        }

        md.Append('\n');
    }

    private static void Etcd(StringBuilder md, ResultSet r)
    {
        const int c = BenchSetups.TargetConcurrency;
        var etcd = r.Find(BenchSetups.Etcd, "put", c);
        md.Append("## Three nodes against etcd\n\n");
        md.Append(Inv, $"100-byte puts, {c} callers, round-robin over the three servers.\n\n");
        md.Append("| setup | put (ops/s) | p50 / p99 (ms) | against etcd | goal |\n");
        md.Append("| --- | ---: | ---: | ---: | ---: |\n");
        foreach (var (setup, goal) in new[] { (BenchSetups.ThreeNodes, "≥ 3x"), (BenchSetups.ThreeNodesSync, "≥ 1x"), (BenchSetups.Etcd, "baseline") })
        {
            var run = r.Find(setup, "put", c);
            md.Append(Inv, $"| {BenchSetups.Describe(setup)} | {Throughput(run)} | {Latencies(run)} | {Ratio(run, etcd)} | {goal} |\n");
        }

        md.Append('\n');
    }

    private static void HalfLoad(StringBuilder md, ResultSet r)
    {
        md.Append("## Latency at half load\n\n");
        md.Append("| setup | callers | rate asked (ops/s) | rate achieved (ops/s) | p50 (ms) | p99 (ms) | p99.9 (ms) | max (ms) | goal |\n");
        md.Append("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n");
        var paced = r.FindPaced(BenchSetups.ThreeNodes, "put");
        if (paced is null)
        {
            md.Append(Inv, $"| {BenchSetups.Describe(BenchSetups.ThreeNodes)} | not measured | | | | | | | p99 ≤ 5 ms |\n\n");
            return;
        }

        var l = paced.Latency;
        md.Append(Inv, $"| {BenchSetups.Describe(paced.Setup)} | {paced.Concurrency} | {Ops(paced.TargetRate!.Value)} | {Ops(paced.Throughput)}{FailedNote(paced)} | {Ms(l.P50)} | {Ms(l.P99)} | {Ms(l.P999)} | {Ms(l.Max)} | p99 ≤ 5 ms |\n\n");
        if (paced.Throughput < 0.95 * paced.TargetRate.Value)
        {
            md.Append("The cluster did not keep up with the rate asked, so calls queued behind the schedule and their latencies include the wait.\n\n");
        }
    }

    private static void Failures(StringBuilder md, ResultSet r)
    {
        md.Append("## Failed operations\n\n");
        var failed = r.Runs.Where(run => run.ErrorCount > 0).ToList();
        if (failed.Count == 0)
        {
            md.Append(Inv, $"No operation failed in any of the {r.Runs.Count} measurements.\n\n");
            return;
        }

        md.Append("Throughput above counts only operations that succeeded. These measurements had failures, by gRPC status:\n\n");
        foreach (var run in failed)
        {
            md.Append(Inv, $"- `{run.File}`: {run.ErrorCount:N0} of {run.Ops + run.ErrorCount:N0} operations ({run.FailedFraction:0.##%}): {string.Join(", ", run.Errors.Select(e => $"{e.Key} {e.Value:N0}"))}\n");
        }

        md.Append('\n');
    }

    private static void Commands(StringBuilder md, ResultSet r)
    {
        md.Append("## The commands\n\n");
        if (r.Commands.Length == 0)
        {
            md.Append("bench/run did not record its commands.\n\n");
            return;
        }

        md.Append("What bench/run ran, in order (`$RUN` is its temporary folder and `$CLUSTER_KEY` the random cluster key it made; the unrecorded warm-ups are the kvbench runs without `--json-out`):\n\n```sh\n");
        md.Append(r.Commands.TrimEnd('\n'));
        md.Append("\n```\n\n");
    }

    private static void Rerun(StringBuilder md)
    {
        md.Append("## Running it again\n\n");
        md.Append("On a quiet machine, from the repository root (it needs the .NET 10 SDK; it installs etcd-server with apt-get if `etcd` is missing):\n\n");
        md.Append("```sh\n");
        md.Append("bench/run                                   # everything above: about 10 minutes\n");
        md.Append("BENCH_DURATION=1 BENCH_WARMUP=1 bench/run   # a quick check that it all runs; the numbers mean nothing\n");
        md.Append("```\n\n");
        md.Append("`BENCH_DURATION` (seconds recorded per measurement, 10), `BENCH_WARMUP` (seconds before each, 2), `BENCH_SERVER_WARMUP` (unrecorded seconds of load on fresh servers, 20), ");
        md.Append("`BENCH_RECORDS` (100000), `BENCH_BASE_PORT` (first of the ports it uses, 27100) change the run. ");
        md.Append("To redraw this page from the results kept in `docs/bench/results/`: ");
        md.Append("`dotnet run -c Release --project tools/kvbench -- report --results docs/bench/results --out docs/BENCHMARKS.md --chart docs/bench/throughput.svg`.\n");
    }

    private static void RatioRow(StringBuilder md, string label, RecordedRun? measured, RecordedRun? baseline, double goal)
    {
        var ratio = measured is not null && baseline is { Throughput: > 0 } ? measured.Throughput / baseline.Throughput : (double?)null;
        var goalText = $"≥ {goal.ToString("0.##", Inv)}x";
        md.Append(Inv, $"| {label} | {Throughput(measured)} | {Throughput(baseline)} | {(ratio is { } x ? $"{x:0.00}x" : "")} | {goalText} | {(ratio is { } v ? Verdict(v >= goal) : "")} |\n");
    }

    private static ChartSeries Series(ResultSet r, string setup, string workload, string name, string color, bool dashed) =>
        new(name, [.. r.Concurrencies(setup, workload).Select(c => new ChartPoint(c, r.Find(setup, workload, c)!.Throughput))], color, dashed);

    private static string BatchText(RecordedRun? batch) => batch?.BatchSize is { } size ? $"Batch calls of {size} puts" : "Batch calls";

    private static string Throughput(RecordedRun? run) => run is null ? "not measured" : $"{Ops(run.Throughput)}{FailedNote(run)}";

    private static string Latencies(RecordedRun? run) => run is null ? "" : $"{Ms(run.Latency.P50)} / {Ms(run.Latency.P99)}";

    private static string Ratio(RecordedRun? measured, RecordedRun? baseline) =>
        measured is not null && baseline is { Throughput: > 0 } ? (measured.Throughput / baseline.Throughput).ToString("0.00", Inv) + "x" : "";

    private static string FailedNote(RecordedRun run) => run.ErrorCount > 0 ? string.Create(Inv, $" ({run.FailedFraction:0.##%} failed)") : "";

    private static string Verdict(bool met) => met ? "met" : "**not met**";

    private static string Ops(double perSecond) => perSecond.ToString("N0", Inv);

    private static string Ms(double ms) => ms.ToString("0.00", Inv);

    private static string Secs(double seconds) => seconds.ToString("0.##", Inv);

    private static string Fact(IReadOnlyDictionary<string, string> env, string key, string missing) =>
        env.TryGetValue(key, out var value) && value.Length > 0 ? value : missing;
}
