using System.Diagnostics;
using System.Globalization;
using HdrHistogram;
using KvStore.Kvbench.Generators;
using KvStore.Kvbench.Targets;

namespace KvStore.Kvbench.Running;

/// <summary>Some of the records could not be written before the run, so reads would measure misses.</summary>
internal sealed class LoadFailedException(string message) : Exception(message);

/// <summary>Loads the records, then runs the callers through warm-up and the measured window.</summary>
internal static class BenchRunner
{
    public static async Task<BenchResult> RunAsync(BenchSettings settings, ITarget target, ValuePool values, TextWriter stderr, CancellationToken cancellationToken)
    {
        var sessions = new ITargetSession[settings.Concurrency];
        for (var i = 0; i < sessions.Length; i++)
        {
            sessions[i] = target.CreateSession(i);
        }

        try
        {
            double? loadSeconds = null;
            if (settings.Load && settings.Workload.NeedsLoad)
            {
                loadSeconds = await LoadAsync(settings, sessions, values, cancellationToken);
                await stderr.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"loaded {settings.Records} records in {loadSeconds:0.0} s"));
            }

            // Paced callers wait between calls, on timers precise enough that the waits are not counted as latency.
            using var ticking = settings.Pacing is null ? null : new TickingTimeProvider();
            var callers = CreateCallers(settings, sessions, values, ticking ?? TimeProvider.System);
            return await MeasureAsync(settings, callers, loadSeconds, stderr, cancellationToken);
        }
        finally
        {
            foreach (var session in sessions)
            {
                await session.DisposeAsync();
            }
        }
    }

    /// <summary>Writes records [0, records) with all callers; returns the seconds it took.</summary>
    private static async Task<double> LoadAsync(BenchSettings settings, ITargetSession[] sessions, ValuePool values, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        long next = -1;
        long failed = 0;
        string? firstError = null;
        var loaders = new Task[sessions.Length];
        for (var i = 0; i < sessions.Length; i++)
        {
            var session = sessions[i];
            var random = new Random(settings.CallerSeed(i) ^ 0x10AD);
            loaders[i] = Task.Run(
                async () =>
                {
                    for (var record = Interlocked.Increment(ref next); record < settings.Records; record = Interlocked.Increment(ref next))
                    {
                        try
                        {
                            await session.WriteAsync(record, random.Next(values.Count), cancellationToken);
                        }
                        catch (Exception e) when (!cancellationToken.IsCancellationRequested)
                        {
                            Interlocked.Increment(ref failed);
                            Interlocked.CompareExchange(ref firstError, $"{ErrorNames.Of(e)}: {e.Message}", null);
                        }
                    }
                },
                cancellationToken);
        }

        await Task.WhenAll(loaders);
        if (failed > 0)
        {
            throw new LoadFailedException($"{failed} of {settings.Records} records could not be loaded; the first failure: {firstError}");
        }

        return Stopwatch.GetElapsedTime(started).TotalSeconds;
    }

    private static Caller[] CreateCallers(BenchSettings settings, ITargetSession[] sessions, ValuePool values, TimeProvider time)
    {
        var inserts = new InsertCounter(settings.Records);
        // zeta(records) is O(records): computed once here rather than once per caller.
        var latestZeta = settings.Workload.ReadsLatest ? ZipfianGenerator.Zeta(settings.Records, ZipfianGenerator.YcsbConstant) : 0;
        var plan = new CallerPlan(settings.Workload, values.Count, settings.BatchSize, settings.Pacing, time);
        var callers = new Caller[sessions.Length];
        for (var i = 0; i < callers.Length; i++)
        {
            KeyChooser keys = settings.Workload.ReadsLatest
                ? new LatestKeyChooser(inserts, new ZipfianGenerator(settings.Records, ZipfianGenerator.YcsbConstant, latestZeta))
                : KeyChooser.Create(settings.Distribution, settings.Records);
            callers[i] = new Caller(sessions[i], plan, i, keys, inserts, new Random(settings.CallerSeed(i)));
        }

        return callers;
    }

    private static async Task<BenchResult> MeasureAsync(BenchSettings settings, Caller[] callers, double? loadSeconds, TextWriter stderr, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        var measureStart = started + (long)(settings.Warmup.TotalSeconds * Stopwatch.Frequency);
        var measureEnd = measureStart + (long)(settings.Duration.TotalSeconds * Stopwatch.Frequency);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        // Cuts off the calls still in flight at the end: a closed loop's would end outside the
        // window; a paced run first gives the calls due in the window a grace period to finish.
        stop.CancelAfter(settings.Warmup + settings.Duration + (settings.Pacing is null ? TimeSpan.Zero : Pacing.Grace(settings.Duration)));

        var loops = new Task[callers.Length];
        for (var i = 0; i < callers.Length; i++)
        {
            var caller = callers[i];
            loops[i] = Task.Run(() => caller.RunAsync(started, measureStart, measureEnd, stop.Token), CancellationToken.None);
        }

        var all = Task.WhenAll(loops);
        if (settings.Progress)
        {
            await ReportProgressAsync(callers, all, started, measureStart, stderr);
        }

        await all;
        cancellationToken.ThrowIfCancellationRequested();

        var merged = new LongHistogram(Caller.HighestMicros, 3);
        var errors = new SortedDictionary<string, long>(StringComparer.Ordinal);
        var operations = new long[Workload.OperationCount];
        foreach (var caller in callers)
        {
            merged.Add(caller.Histogram);
            foreach (var (name, count) in caller.Errors)
            {
                errors[name] = errors.GetValueOrDefault(name) + count;
            }

            for (var op = 0; op < operations.Length; op++)
            {
                operations[op] += caller.Operations[op];
            }
        }

        var byName = new SortedDictionary<string, long>(StringComparer.Ordinal);
        for (var op = 0; op < operations.Length; op++)
        {
            if (operations[op] > 0)
            {
                byName[OperationName((Operation)op)] = operations[op];
            }
        }

        return new BenchResult(settings, loadSeconds, operations.Sum(), merged.TotalCount, settings.Duration.TotalSeconds, Latency.From(merged), errors, byName);
    }

    public static string OperationName(Operation operation) => operation switch
    {
        Operation.Read => "read",
        Operation.Update => "update",
        Operation.Insert => "insert",
        Operation.ReadModifyWrite => "readModifyWrite",
        Operation.BatchPut => "batchPut",
        _ => "empty",
    };

    /// <summary>
    /// One line a second: operations in the last second, recorded operations, errors and p99 so far.
    /// The callers' histograms are read while they are written, so p99 is approximate; the result
    /// is computed after the callers stop.
    /// </summary>
    private static async Task ReportProgressAsync(Caller[] callers, Task run, long started, long measureStart, TextWriter stderr)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1));
        long lastCompleted = 0;
        while (await Task.WhenAny(run, timer.WaitForNextTickAsync().AsTask()) != run)
        {
            long completed = 0, errors = 0;
            var sofar = new LongHistogram(Caller.HighestMicros, 3);
            foreach (var caller in callers)
            {
                completed += caller.Completed;
                errors += caller.ErrorCount;
                sofar.Add(caller.Histogram);
            }

            var now = Stopwatch.GetTimestamp();
            var phase = now < measureStart ? "warmup " : "";
            var p99 = sofar.TotalCount == 0 ? 0 : sofar.GetValueAtPercentile(99) / 1000.0;
            await stderr.WriteLineAsync(string.Create(
                CultureInfo.InvariantCulture,
                $"[{Stopwatch.GetElapsedTime(started, now).TotalSeconds,4:0}s] {phase}{completed - lastCompleted} ops/s, {sofar.TotalCount} ops, {errors} errors, p99 {p99:0.000} ms"));
            lastCompleted = completed;
        }
    }
}
