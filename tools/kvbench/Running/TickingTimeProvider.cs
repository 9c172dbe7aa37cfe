using System.Diagnostics;

namespace KvStore.Kvbench.Running;

/// <summary>
/// The system clock with timers that fire within about a millisecond of when they are due, for
/// paced callers. On Linux the runtime's own timers fired 3 to 7 ms late at the 95th percentile in
/// a test on a loaded two-core machine, which a paced run would count as latency of the store; a
/// thread that sleeps a millisecond at a time and fires what is due was late by under a
/// millisecond. It costs about a thousand wake-ups a second, so it runs only while it is in use.
/// </summary>
internal sealed class TickingTimeProvider : TimeProvider, IDisposable
{
    private static readonly TimeSpan Tick = TimeSpan.FromMilliseconds(1);
    private readonly Lock _lock = new();
    private readonly List<TickTimer> _armed = [];
    private readonly Thread _thread;
    private volatile bool _disposed;

    public TickingTimeProvider()
    {
        _thread = new Thread(Run) { IsBackground = true, Name = "kvbench pacing" };
        _thread.Start();
    }

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var timer = new TickTimer(this, callback, state);
        timer.Change(dueTime, period);
        return timer;
    }

    public void Dispose()
    {
        _disposed = true;
        _thread.Join();
    }

    private void Run()
    {
        var due = new List<TickTimer>();
        while (!_disposed)
        {
            var now = GetTimestamp();
            lock (_lock)
            {
                for (var i = _armed.Count - 1; i >= 0; i--)
                {
                    var timer = _armed[i];
                    if (timer.Due > now)
                    {
                        continue;
                    }

                    due.Add(timer);
                    if (timer.Period > 0)
                    {
                        timer.Due = now + timer.Period;
                    }
                    else
                    {
                        _armed.RemoveAt(i);
                    }
                }
            }

            // Callbacks run on the thread pool, as the runtime's timers do, so a slow one cannot hold up the others.
            foreach (var timer in due)
            {
                ThreadPool.UnsafeQueueUserWorkItem(static t => t.Fire(), timer, preferLocal: false);
            }

            due.Clear();
            Thread.Sleep(Tick);
        }
    }

    private long ToTicks(TimeSpan span) => (long)(span.TotalSeconds * Stopwatch.Frequency);

    private sealed class TickTimer(TickingTimeProvider owner, TimerCallback callback, object? state) : ITimer
    {
        /// <summary>When it fires next, as a Stopwatch timestamp; guarded by the owner's lock.</summary>
        public long Due { get; set; }

        /// <summary>Stopwatch ticks between firings; 0 for a one-shot timer.</summary>
        public long Period { get; private set; }

        public void Fire() => callback(state);

        public bool Change(TimeSpan dueTime, TimeSpan period)
        {
            lock (owner._lock)
            {
                owner._armed.Remove(this);
                if (dueTime == Timeout.InfiniteTimeSpan)
                {
                    return true;
                }

                Due = owner.GetTimestamp() + owner.ToTicks(dueTime);
                Period = period == Timeout.InfiniteTimeSpan || period <= TimeSpan.Zero ? 0 : Math.Max(1, owner.ToTicks(period));
                owner._armed.Add(this);
            }

            return true;
        }

        public void Dispose()
        {
            lock (owner._lock)
            {
                owner._armed.Remove(this);
            }
        }

        public ValueTask DisposeAsync()
        {
            Dispose();
            return ValueTask.CompletedTask;
        }
    }
}
