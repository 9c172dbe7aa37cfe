using System.Diagnostics;
using KvStore.Simulation.Sim;

namespace KvStore.Simulation;

/// <summary>
/// The simulator's seeds: each run mixes partitions, crashes, amnesia, skew and churn, and must end
/// with nothing lost, nothing resurrected and no replicas diverged. KVSIM_SEED replays one seed (or a comma-separated list);
/// KVSIM_SEEDS sets how many the batch runs (200 by default).
/// </summary>
public sealed class SimulationTests
{
    private const int DefaultSeeds = 200;

    [Fact]
    public void Seeds_lose_nothing_resurrect_nothing_and_converge()
    {
        var seeds = Environment.GetEnvironmentVariable("KVSIM_SEED") is { Length: > 0 } chosen
            ? chosen.Split(',').Select(x => int.Parse(x, System.Globalization.CultureInfo.InvariantCulture)).ToArray()
            : Enumerable.Range(1, Environment.GetEnvironmentVariable("KVSIM_SEEDS") is { Length: > 0 } n ? int.Parse(n, System.Globalization.CultureInfo.InvariantCulture) : DefaultSeeds).ToArray();
        var output = TestContext.Current.TestOutputHelper!;
        var wall = Stopwatch.StartNew();
        var failures = new List<string>();
        long writes = 0, acknowledged = 0, events = 0, excused = 0, collected = 0, transfers = 0, collecting = 0;
        var stats = SimStats.Empty;
        foreach (var seed in seeds)
        {
            TestContext.Current.CancellationToken.ThrowIfCancellationRequested();
            var result = SimRun.Run(seed);
            if (seeds.Length == 1 && Environment.GetEnvironmentVariable("KVSIM_TRACE") is { Length: > 0 } path)
            {
                // The whole trace of a replayed seed: every message, fault, view and client operation.
                File.WriteAllLines(path, SimRun.RunWithLog(seed).Log);
                output.WriteLine($"trace written to {path}");
            }

            writes += result.Writes;
            acknowledged += result.Acknowledged;
            events += result.Events;
            stats += result.Stats;
            excused += result.Check.Excused;
            collected += result.Collected;
            transfers += result.Transfers;
            collecting += result.Collected > 0 ? 1 : 0;
            output.WriteLine(result.Summary);
            if (seeds.Length == 1)
            {
                output.WriteLine("  " + result.Stats);
                foreach (var fault in result.Faults)
                {
                    output.WriteLine("  " + fault);
                }
            }

            if (!result.Passed)
            {
                failures.Add(Describe(result));
            }
        }

        output.WriteLine(
            $"{seeds.Length} seeds: {writes} client writes ({acknowledged} acknowledged, {excused} at level ONE gone with their one copy), {events} events, " +
            $"{collected} tombstones collected ({collecting} seeds collected some), {transfers} handoff transfers, " +
            $"{failures.Count} failed, wall time {wall.Elapsed.TotalSeconds:F1} s");
        output.WriteLine(stats.ToString());
        Assert.True(failures.Count == 0, string.Join("\n\n", failures));
    }

    [Fact]
    public void One_seed_runs_the_same_twice()
    {
        var first = SimRun.Run(7);
        var second = SimRun.Run(7);
        var other = SimRun.Run(8);
        Assert.Null(first.Error);
        Assert.True(first.Acknowledged > 0 && first.Stats.Crashes > 0 && first.Stats.Dropped > 0, first.Summary);
        Assert.Equal(first.TraceHash, second.TraceHash);
        Assert.Equal(first.Digest, second.Digest);
        Assert.Equal(first.Events, second.Events);
        // The hash depends on what happened: another seed gives another trace.
        Assert.NotEqual(first.TraceHash, other.TraceHash);
    }

    internal static string Describe(SimResult result) =>
        $"{result.Summary}\n" + (result.Error is { } e ? $"error: {e}\n" : "") +
        string.Join("\n", result.Check.Findings.Take(20).Select(f => "  " + f)) +
        "\n  faults: " + string.Join("; ", result.Faults) +
        $"\n  replay: KVSIM_SEED={result.Seed} dotnet test --project tests/KvStore.Simulation --output detailed -- --filter-method \"*Seeds_lose_nothing*\"";
}
