using HdrHistogram;
using KvStore.Kvbench.Generators;
using KvStore.Kvbench.Running;

namespace KvStore.Kvbench.Tests;

/// <summary>One caller against a simulated store on simulated time: exact, and instant.</summary>
public sealed class CallerTests
{
    private static readonly TimeSpan OneMs = TimeSpan.FromMilliseconds(1);
    private static readonly long Window = 2 * TimeSpan.TicksPerSecond;

    [Fact]
    public void A_paced_caller_keeps_its_schedule_and_times_each_call_from_when_it_went_out()
    {
        var time = new SimulatedTime();
        var session = new SimulatedSession(time, _ => OneMs);
        var caller = Paced(session, time, Workload.Put, rate: 100);

        Run(caller);

        // 100 calls a second for 2 s, each 1 ms long.
        Assert.Equal(200, caller.Operations[(int)Operation.Update]);
        Assert.Equal(200, caller.Histogram.TotalCount);
        Assert.Equal(1000, caller.Histogram.GetMaxValue());
    }

    [Fact]
    public void A_stall_shows_in_the_latency_of_every_call_that_was_due_during_it()
    {
        var time = new SimulatedTime();
        // Call 100 (due at 1 s) takes half a second; the calls due meanwhile go out late.
        var session = new SimulatedSession(time, call => call == 100 ? TimeSpan.FromMilliseconds(500) : OneMs);
        var caller = Paced(session, time, Workload.Put, rate: 100);

        Run(caller);

        Assert.Equal(200, caller.Histogram.TotalCount);
        Assert.Equal(1000, caller.Histogram.GetValueAtPercentile(50));
        Assert.InRange(caller.Histogram.GetMaxValue(), 499_000, 501_000);
        // p99 is the third slowest of 200: the call due 20 ms into the stall, sent 479 ms late, plus its 1 ms.
        Assert.InRange(caller.Histogram.GetValueAtPercentile(99), 479_500, 480_500);
        // The caller catches up 9 ms a call: about 55 calls were late by more than 2 ms.
        Assert.InRange(caller.Histogram.RecordedValues().Where(v => v.ValueIteratedTo > 3000).Sum(v => v.CountAddedInThisIterationStep), 53, 56);
    }

    [Fact]
    public void A_paced_call_due_in_the_window_counts_even_if_it_ends_after_it()
    {
        var time = new SimulatedTime();
        // The last call (due at 1990 ms) takes a second: it ends after the window, and still counts.
        var session = new SimulatedSession(time, call => call == 199 ? TimeSpan.FromSeconds(1) : OneMs);
        var caller = Paced(session, time, Workload.Put, rate: 100);

        Run(caller);

        Assert.Equal(200, caller.Histogram.TotalCount);
        Assert.InRange(caller.Histogram.GetMaxValue(), 999_000, 1_001_000);
    }

    [Fact]
    public void Paced_calls_due_in_the_window_but_unanswered_when_the_run_stops_count_as_unfinished()
    {
        var time = new SimulatedTime();
        using var stop = new CancellationTokenSource();
        // Call 190 (due at 1900 ms) hangs until the run is stopped; calls 190 to 199 were due in the window.
        var session = new SimulatedSession(time, _ => OneMs) { Hang = call => call == 190 ? stop : null };
        var caller = Paced(session, time, Workload.Batch, rate: 1000, batchSize: 10);

        var run = caller.RunAsync(runStart: 0, measureStart: 0, measureEnd: Window, stop.Token);

        Assert.True(run.IsCompleted);
        Assert.Equal(190, caller.Histogram.TotalCount);
        Assert.Equal(10 * 10, caller.Errors[Caller.UnfinishedError]);
        Assert.Equal(10 * 10, caller.ErrorCount);
    }

    [Fact]
    public void A_closed_loop_records_the_same_stall_once()
    {
        var time = new SimulatedTime();
        var session = new SimulatedSession(time, call => call == 100 ? TimeSpan.FromMilliseconds(500) : OneMs);
        var caller = new Caller(session, new CallerPlan(Workload.Put, 16, 100, null, time), 0, KeyChooser.Create(Distribution.Uniform, 10), new InsertCounter(10), new Random(1));

        Run(caller);

        // 2 s of 1 ms calls, less the half-second stall: the closed loop only sees the one slow call.
        Assert.Equal(1501, caller.Histogram.TotalCount);
        Assert.Equal(1000, caller.Histogram.GetValueAtPercentile(99.9));
        Assert.InRange(caller.Histogram.GetMaxValue(), 499_000, 501_000);
    }

    [Fact]
    public void A_closed_loop_counts_the_calls_that_ended_in_the_window_even_if_they_began_before_it()
    {
        var time = new SimulatedTime();
        var session = new SimulatedSession(time, _ => TimeSpan.FromMilliseconds(300));
        var caller = new Caller(session, new CallerPlan(Workload.Batch, 16, 10, null, time), 0, KeyChooser.Create(Distribution.Uniform, 10), new InsertCounter(10), new Random(1));
        var ms = TimeSpan.TicksPerMillisecond;

        var run = caller.RunAsync(runStart: 0, measureStart: 500 * ms, measureEnd: 1500 * ms, CancellationToken.None);

        Assert.True(run.IsCompleted);
        // Calls end at 300, 600, 900, 1200 and 1500 ms: the last four in the window, one of them begun before it.
        Assert.Equal(4, caller.Histogram.TotalCount);
        Assert.Equal(40, caller.Operations[(int)Operation.BatchPut]);
    }

    [Fact]
    public void A_batch_counts_its_operations_and_each_failed_one_by_status()
    {
        var time = new SimulatedTime();
        // Every tenth operation of every batch is refused; the fourth call fails as a whole.
        var session = new SimulatedSession(time, _ => OneMs)
        {
            BatchCode = i => i % 10 == 9 ? (int)Grpc.Core.StatusCode.ResourceExhausted : 0,
            FailCall = call => call == 3,
        };
        var caller = Paced(session, time, Workload.Batch, rate: 1000, batchSize: 20);

        Run(caller);

        // 1000 operations a second in calls of 20: 50 calls a second, 100 in 2 s, one of them failed.
        Assert.Equal(100, session.Calls);
        Assert.Equal(99, caller.Histogram.TotalCount);
        Assert.Equal(99 * 18, caller.Operations[(int)Operation.BatchPut]);
        Assert.Equal(99 * 2, caller.Errors["ResourceExhausted"]);
        Assert.Equal(20, caller.Errors["Unavailable"]);
        Assert.Equal(99 * 2 + 20, caller.ErrorCount);
    }

    private static Caller Paced(SimulatedSession session, SimulatedTime time, Workload workload, double rate, int batchSize = 100)
    {
        var pacing = new Pacing(rate, Callers: 1, workload.OperationsPerCall(batchSize));
        var plan = new CallerPlan(workload, Values: 16, batchSize, pacing, time);
        return new Caller(session, plan, index: 0, KeyChooser.Create(Distribution.Uniform, 10), new InsertCounter(10), new Random(1));
    }

    /// <summary>Runs a caller over a 2 s window with no warm-up; on simulated time it finishes at once.</summary>
    private static void Run(Caller caller)
    {
        var run = caller.RunAsync(runStart: 0, measureStart: 0, measureEnd: Window, CancellationToken.None);
        Assert.True(run.IsCompleted, "a simulated run never waits for real");
        run.GetAwaiter().GetResult();
    }
}
