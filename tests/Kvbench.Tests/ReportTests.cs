using KvStore.Kvbench.Report;

namespace KvStore.Kvbench.Tests;

/// <summary>The benchmark page from the fixed results of <see cref="ReportFixture"/>.</summary>
public sealed class ReportTests
{
    private static readonly string Page = BenchmarkReport.Markdown(ReportFixture.Set(), "bench/throughput.svg");

    [Fact]
    public void The_targets_table_has_each_ratio_against_its_baseline_and_the_verdict()
    {
        // (a) 64,000 put / 128,000 empty.
        Assert.Contains("| (a) 1 node, 64 callers: 100-byte puts against an empty gRPC call | 64,000 | 128,000 | 0.50x | ≥ 0.5x | met |", Page);
        // (b) 25,600 / 8,000 and 6,400 / 8,000.
        Assert.Contains("| (b) 3 nodes, N=3 W=2, 64 callers: puts against a 3-member etcd | 25,600 | 8,000 | 3.20x | ≥ 3x | met |", Page);
        Assert.Contains("| (b) the same with `--sync` (fsync before ack) against etcd | 6,400 | 8,000 | 0.80x | ≥ 1x | **not met** |", Page);
        // (c) 640,000 / 64,000 on one node; the cluster's batches had failures, which the row shows.
        Assert.Contains("| (c) 1 node, 64 callers: Batch calls of 100 puts against single puts | 640,000 | 64,000 | 10.00x | ≥ 5x | met |", Page);
        Assert.Contains("| (c) 3 nodes, 64 callers: Batch calls of 100 puts against single puts | 51,200 (0.99% failed) | 25,600 | 2.00x | ≥ 5x | **not met** |", Page);
        Assert.Contains("| (d) 3 nodes, puts at half the 64-caller maximum: p99 latency | 4.50 ms at 12,800 ops/s | half of 25,600 ops/s | | ≤ 5 ms | met |", Page);
        Assert.Contains("| (e) YCSB A, B, C, D, F on 1 and 3 nodes | [below](#ycsb-workloads) |", Page);
    }

    [Fact]
    public void The_concurrency_table_has_a_row_per_level_with_the_put_to_empty_ratio()
    {
        Assert.Contains("| 1 | 2,000 | 1,000 | 0.50x | 0.50 / 2.00 | 400 | 0.50 / 2.00 |", Page);
        Assert.Contains("| 128 | 256,000 | 128,000 | 0.50x | 0.50 / 2.00 | 51,200 | 0.50 / 2.00 |", Page);
        Assert.Equal(5, ReportFixture.Levels.Count(c => Page.Contains($"\n| {c} | ", StringComparison.Ordinal)));
        Assert.Contains("![Throughput against concurrency: KvStore put on 1 and 3 nodes, and the empty call](bench/throughput.svg)", Page);
    }

    [Fact]
    public void The_other_tables_have_their_rows()
    {
        foreach (var w in BenchSetups.Ycsb)
        {
            Assert.Contains($"| {w} | 50,000 | 0.50 / 2.00 | 25,000 | 0.50 / 2.00 | 0.50x |", Page);
        }

        Assert.Contains("| KvStore, 1 node, 100 puts a call | 640,000 | 6,400 | 0.50 / 2.00 | 64,000 | 10.00x | ≥ 5x |", Page);
        Assert.Contains("| KvStore, 3 nodes, --sync | 6,400 | 0.50 / 2.00 | 0.80x | ≥ 1x |", Page);
        Assert.Contains("| etcd, 3 members | 8,000 | 0.50 / 2.00 | 1.00x | baseline |", Page);
        Assert.Contains("| KvStore, 3 nodes (N=3, W=2) | 64 | 12,800 | 12,800 | 1.13 | 4.50 | 9.00 | 13.50 | p99 ≤ 5 ms |", Page);
        Assert.Contains("- `kvstore-3_batch_c64.json`: 5,120 of 517,120 operations (0.99%): ResourceExhausted 5,120", Page);
    }

    [Fact]
    public void The_page_describes_the_machine_the_method_and_the_commands()
    {
        Assert.Contains("| CPU | Test CPU @ 3.0GHz |", Page);
        Assert.Contains("| cores (nproc) | 2 |", Page);
        Assert.Contains("| etcd | 3.4.23 |", Page);
        Assert.Contains("Measured 2025-03-01 10:00 UTC at commit `abc1234`", Page);
        Assert.Contains("**Client and servers share these cores.**", Page);
        Assert.Contains("sends 20 s of puts from 64 callers that are not recorded", Page);
        Assert.Contains("for 2 s that are not recorded and then 10 s that are", Page);
        Assert.Contains("```sh\n" + ReportFixture.Commands, Page);
        Assert.Contains("BENCH_DURATION=1 BENCH_WARMUP=1 bench/run", Page);
    }

    [Fact]
    public void A_measurement_that_is_missing_says_so_instead_of_a_number()
    {
        var files = ReportFixture.Files().Where(f => !f.Key.StartsWith("etcd-3", StringComparison.Ordinal)).ToDictionary();

        var page = BenchmarkReport.Markdown(ReportFixture.Set(files), "bench/throughput.svg");

        Assert.Contains("| (b) 3 nodes, N=3 W=2, 64 callers: puts against a 3-member etcd | 25,600 | not measured |  | ≥ 3x |  |", page);
        Assert.Contains("| etcd, 3 members | not measured |", page);
    }

    [Fact]
    public void The_chart_draws_one_node_three_nodes_and_the_empty_call_at_every_level()
    {
        var chart = BenchmarkReport.Chart(ReportFixture.Set());

        Assert.Equal(["KvStore put, 1 node", "KvStore put, 3 nodes (N=3, W=2)", "empty gRPC call, 1 node (baseline)"], chart.Series.Select(s => s.Name));
        Assert.All(chart.Series, s => Assert.Equal(ReportFixture.Levels.Select(c => (double)c), s.Points.Select(p => p.X)));
        Assert.Equal(64_000, chart.Series[0].Points.Single(p => p.X == 64).Y);
        Assert.True(chart.Series[2].Dashed);
    }

    [Fact]
    public async Task The_report_command_writes_the_page_and_the_chart_from_a_folder()
    {
        var dir = Directory.CreateTempSubdirectory("kvbench-report-");
        try
        {
            var results = Directory.CreateDirectory(Path.Combine(dir.FullName, "docs", "bench", "results"));
            foreach (var (name, json) in ReportFixture.Files())
            {
                await File.WriteAllTextAsync(Path.Combine(results.FullName, name), json, TestContext.Current.CancellationToken);
            }

            await File.WriteAllLinesAsync(Path.Combine(results.FullName, "environment.txt"), ReportFixture.Environment.Select(e => $"{e.Key}: {e.Value}"), TestContext.Current.CancellationToken);
            var page = Path.Combine(dir.FullName, "docs", "BENCHMARKS.md");
            var chart = Path.Combine(dir.FullName, "docs", "bench", "throughput.svg");

            var run = await Kvbench.RunAsync("report", "--results", results.FullName, "--out", page, "--chart", chart);

            Assert.True(run.ExitCode == 0, run.Stderr);
            var markdown = await File.ReadAllTextAsync(page, TestContext.Current.CancellationToken);
            Assert.Contains("](bench/throughput.svg)", markdown);
            Assert.Contains("| CPU | Test CPU @ 3.0GHz |", markdown);
            Assert.Contains("bench/run did not record its commands.", markdown);
            var svg = System.Xml.Linq.XDocument.Parse(await File.ReadAllTextAsync(chart, TestContext.Current.CancellationToken));
            Assert.Equal(3, svg.Descendants("{http://www.w3.org/2000/svg}polyline").Count());
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task A_folder_without_results_or_with_a_broken_one_exits_2()
    {
        var dir = Directory.CreateTempSubdirectory("kvbench-report-");
        try
        {
            var empty = await Kvbench.RunAsync("report", "--results", dir.FullName, "--out", Path.Combine(dir.FullName, "a.md"), "--chart", Path.Combine(dir.FullName, "a.svg"));
            Assert.Equal(2, empty.ExitCode);
            Assert.Contains("no *.json results", empty.Stderr);

            await File.WriteAllTextAsync(Path.Combine(dir.FullName, "broken.json"), "{\"target\":", TestContext.Current.CancellationToken);
            var broken = await Kvbench.RunAsync("report", "--results", dir.FullName, "--out", Path.Combine(dir.FullName, "a.md"), "--chart", Path.Combine(dir.FullName, "a.svg"));
            Assert.Equal(2, broken.ExitCode);
            Assert.Contains("broken.json is not a kvbench JSON result", broken.Stderr);
            Assert.False(File.Exists(Path.Combine(dir.FullName, "a.md")));
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }
}
