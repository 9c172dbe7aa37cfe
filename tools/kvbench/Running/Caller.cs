using HdrHistogram;
using KvStore.Kvbench.Generators;
using KvStore.Kvbench.Targets;

namespace KvStore.Kvbench.Running;

/// <summary>What a caller does and how it is paced; the same for every caller of a run but its index.</summary>
/// <param name="BatchSize">Operations in each call of a batch workload.</param>
/// <param name="Pacing">The open-loop schedule, or null for a closed loop.</param>
internal sealed record CallerPlan(Workload Workload, int Values, int BatchSize, Pacing? Pacing, TimeProvider Time);

/// <summary>
/// One caller: it sends a call, waits for the answer, and sends the next, either at once (a closed
/// loop) or when the next one is due (<see cref="Running.Pacing"/>). Its histogram and counters are
/// its own, so the loop takes no lock; they are merged after the run.
/// </summary>
internal sealed class Caller
{
    /// <summary>Latencies up to a minute, in microseconds, to 3 significant digits.</summary>
    public const long HighestMicros = 60_000_000;

    /// <summary>The error name of a paced call that fell due in the window but was not answered by the end of the grace period.</summary>
    public const string UnfinishedError = "Unfinished";

    private readonly ITargetSession _session;
    private readonly CallerPlan _plan;
    private readonly int _index;
    private readonly KeyChooser _keys;
    private readonly InsertCounter _inserts;
    private readonly Random _random;
    private readonly long[] _batchRecords;
    private readonly int[] _batchValues;
    private readonly int[] _batchCodes;
    private long _completed;
    private long _errorCount;

    public Caller(ITargetSession session, CallerPlan plan, int index, KeyChooser keys, InsertCounter inserts, Random random)
    {
        _session = session;
        _plan = plan;
        _index = index;
        _keys = keys;
        _inserts = inserts;
        _random = random;
        var batch = plan.Workload.Batched ? plan.BatchSize : 0;
        _batchRecords = new long[batch];
        _batchValues = new int[batch];
        _batchCodes = new int[batch];
    }

    public ITargetSession Session => _session;

    /// <summary>Latencies of the calls that succeeded within the measured window (a batch is one call).</summary>
    public LongHistogram Histogram { get; } = new(HighestMicros, 3);

    /// <summary>Failed operations within the measured window, by error name.</summary>
    public Dictionary<string, long> Errors { get; } = [];

    /// <summary>Successful operations within the measured window, indexed by <see cref="Operation"/>.</summary>
    public long[] Operations { get; } = new long[Workload.OperationCount];

    /// <summary>Every completed operation, warm-up included; read by the progress line while the loop runs.</summary>
    public long Completed => Volatile.Read(ref _completed);

    public long ErrorCount => Volatile.Read(ref _errorCount);

    /// <summary>
    /// Runs from <paramref name="runStart"/> until <paramref name="measureEnd"/> (timestamps of the
    /// plan's clock) or until <paramref name="stop"/> is cancelled, recording the calls of the
    /// window from <paramref name="measureStart"/> to <paramref name="measureEnd"/> (see <see cref="InWindow"/>).
    /// </summary>
    public async Task RunAsync(long runStart, long measureStart, long measureEnd, CancellationToken stop)
    {
        var time = _plan.Time;
        var opsPerCall = _plan.Workload.OperationsPerCall(_plan.BatchSize);
        for (long call = 0; ; call++)
        {
            if (stop.IsCancellationRequested)
            {
                CountUnfinished(runStart, measureStart, measureEnd, call);
                return;
            }

            long timedFrom;
            if (_plan.Pacing is { } pacing)
            {
                var due = pacing.Due(runStart, time.TimestampFrequency, _index, call);
                if (due >= measureEnd)
                {
                    return;
                }

                var wait = time.GetElapsedTime(time.GetTimestamp(), due) - Pacing.EarlySend;
                if (wait > TimeSpan.Zero)
                {
                    try
                    {
                        await Task.Delay(wait, time, stop);
                    }
                    catch (OperationCanceledException) when (stop.IsCancellationRequested)
                    {
                        CountUnfinished(runStart, measureStart, measureEnd, call);
                        return;
                    }
                }

                timedFrom = Pacing.TimedFrom(due, time.GetTimestamp());
            }
            else
            {
                timedFrom = time.GetTimestamp();
                if (timedFrom >= measureEnd)
                {
                    return;
                }
            }

            var operation = _plan.Workload.Choose(_random.NextDouble());
            string? error = null;
            try
            {
                await RunAsync(operation, stop);
            }
            catch (Exception) when (stop.IsCancellationRequested)
            {
                // Cut off at the end of the run (or by Ctrl+C): outside a closed loop's window, so
                // not a failure; a paced call that was due in the window did not finish in time.
                CountUnfinished(runStart, measureStart, measureEnd, call);
                return;
            }
            catch (Exception e)
            {
                error = ErrorNames.Of(e);
            }

            var ended = time.GetTimestamp();
            Volatile.Write(ref _completed, _completed + opsPerCall);
            if (!InWindow(timedFrom, ended, measureStart, measureEnd))
            {
                continue;
            }

            if (error is not null)
            {
                // A call that failed as a whole failed each of its operations.
                CountErrors(error, opsPerCall);
                continue;
            }

            Histogram.RecordValue(Math.Clamp(time.GetElapsedTime(timedFrom, ended).Ticks / TimeSpan.TicksPerMicrosecond, 1, HighestMicros));
            if (operation != Operation.BatchPut)
            {
                Operations[(int)operation]++;
                continue;
            }

            foreach (var code in _batchCodes)
            {
                if (code == 0)
                {
                    Operations[(int)Operation.BatchPut]++;
                }
                else
                {
                    CountErrors(ErrorNames.OfCode(code), 1);
                }
            }
        }
    }

    /// <summary>
    /// Whether a call counts. A closed loop counts the calls that ended in the window, whenever they
    /// started: counting only calls that both started and ended in it would leave out the calls
    /// that straddle its start, and undercount by about one call's length out of the window's
    /// (a lot for batches of a few hundred milliseconds in a short window). A paced caller counts
    /// the calls that fell due in the window, whenever they ended: the runner gives them a grace
    /// period after the window (<see cref="Pacing.Grace"/>), so that a store that fell behind shows
    /// it in their latencies instead of its slowest calls being cut off.
    /// </summary>
    private bool InWindow(long timedFrom, long ended, long measureStart, long measureEnd) =>
        _plan.Pacing is null ? ended >= measureStart && ended <= measureEnd : timedFrom >= measureStart;

    /// <summary>
    /// When a paced run is stopped, counts the calls from <paramref name="call"/> on that fell due in
    /// the window as failed ("Unfinished"): the store was so far behind that they were not answered
    /// even in the grace period, and leaving them out would report only the calls it managed.
    /// </summary>
    private void CountUnfinished(long runStart, long measureStart, long measureEnd, long call)
    {
        if (_plan.Pacing is not { } pacing)
        {
            return;
        }

        long unfinished = 0;
        for (var due = pacing.Due(runStart, _plan.Time.TimestampFrequency, _index, call); due < measureEnd; due = pacing.Due(runStart, _plan.Time.TimestampFrequency, _index, ++call))
        {
            if (due >= measureStart)
            {
                unfinished++;
            }
        }

        if (unfinished > 0)
        {
            CountErrors(UnfinishedError, unfinished * _plan.Workload.OperationsPerCall(_plan.BatchSize));
        }
    }

    private Task RunAsync(Operation operation, CancellationToken stop)
    {
        switch (operation)
        {
            case Operation.Read:
                return _session.ReadAsync(_keys.Next(_random), stop);
            case Operation.Update:
                return _session.WriteAsync(_keys.Next(_random), _random.Next(_plan.Values), stop);
            case Operation.Insert:
                return _session.WriteAsync(_inserts.Next(), _random.Next(_plan.Values), stop);
            case Operation.ReadModifyWrite:
                return _session.ReadModifyWriteAsync(_keys.Next(_random), _random.Next(_plan.Values), stop);
            case Operation.BatchPut:
                for (var i = 0; i < _batchRecords.Length; i++)
                {
                    _batchRecords[i] = _keys.Next(_random);
                    _batchValues[i] = _random.Next(_plan.Values);
                }

                return _session.WriteBatchAsync(_batchRecords, _batchValues, _batchCodes, stop);
            default:
                return _session.EmptyAsync(stop);
        }
    }

    private void CountErrors(string error, long count)
    {
        Errors[error] = Errors.GetValueOrDefault(error) + count;
        Volatile.Write(ref _errorCount, _errorCount + count);
    }
}
