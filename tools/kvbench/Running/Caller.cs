using System.Diagnostics;
using HdrHistogram;
using KvStore.Kvbench.Generators;
using KvStore.Kvbench.Targets;

namespace KvStore.Kvbench.Running;

/// <summary>
/// One closed-loop caller: it issues an operation, waits for the answer, and issues the next. Its
/// histogram and counters are its own, so the loop takes no lock; they are merged after the run.
/// </summary>
internal sealed class Caller(ITargetSession session, Workload workload, KeyChooser keys, InsertCounter inserts, int values, Random random)
{
    /// <summary>Latencies up to a minute, in microseconds, to 3 significant digits.</summary>
    public const long HighestMicros = 60_000_000;

    private long _completed;
    private long _errorCount;

    public ITargetSession Session => session;

    /// <summary>Successful operations within the measured window.</summary>
    public LongHistogram Histogram { get; } = new(HighestMicros, 3);

    /// <summary>Failed operations within the measured window, by error name.</summary>
    public Dictionary<string, long> Errors { get; } = [];

    /// <summary>Successful operations within the measured window, indexed by <see cref="Operation"/>.</summary>
    public long[] Operations { get; } = new long[5];

    /// <summary>Every completed operation, warm-up included; read by the progress line while the loop runs.</summary>
    public long Completed => Volatile.Read(ref _completed);

    public long ErrorCount => Volatile.Read(ref _errorCount);

    /// <summary>Runs until <paramref name="measureEnd"/> (a Stopwatch timestamp) or until <paramref name="stop"/> is cancelled.</summary>
    public async Task RunAsync(long measureStart, long measureEnd, CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            var started = Stopwatch.GetTimestamp();
            if (started >= measureEnd)
            {
                return;
            }

            var operation = workload.Choose(random.NextDouble());
            string? error = null;
            try
            {
                switch (operation)
                {
                    case Operation.Read:
                        await session.ReadAsync(keys.Next(random), stop);
                        break;
                    case Operation.Update:
                        await session.WriteAsync(keys.Next(random), random.Next(values), stop);
                        break;
                    case Operation.Insert:
                        await session.WriteAsync(inserts.Next(), random.Next(values), stop);
                        break;
                    case Operation.ReadModifyWrite:
                        await session.ReadModifyWriteAsync(keys.Next(random), random.Next(values), stop);
                        break;
                    default:
                        await session.EmptyAsync(stop);
                        break;
                }
            }
            catch (Exception) when (stop.IsCancellationRequested)
            {
                // Cut off at the end of the run (or by Ctrl+C): outside the window, not a failure.
                return;
            }
            catch (Exception e)
            {
                error = ErrorNames.Of(e);
            }

            var ended = Stopwatch.GetTimestamp();
            Volatile.Write(ref _completed, _completed + 1);
            if (started < measureStart || ended > measureEnd)
            {
                continue;
            }

            if (error is null)
            {
                Histogram.RecordValue(Math.Clamp(Stopwatch.GetElapsedTime(started, ended).Ticks / TimeSpan.TicksPerMicrosecond, 1, HighestMicros));
                Operations[(int)operation]++;
            }
            else
            {
                Errors[error] = Errors.GetValueOrDefault(error) + 1;
                Volatile.Write(ref _errorCount, _errorCount + 1);
            }
        }
    }
}
