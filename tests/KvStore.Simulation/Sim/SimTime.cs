namespace KvStore.Simulation.Sim;

/// <summary>
/// Virtual time for the whole simulation: readings come from the loop's clock and timers are events
/// in its queue, so every deadline, periodic timer and delay in the nodes fires in simulated time.
/// </summary>
internal sealed class SimTime(SimLoop loop) : TimeProvider
{
    /// <summary>The wall-clock reading at virtual time zero.</summary>
    public static readonly DateTimeOffset Epoch = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    public override DateTimeOffset GetUtcNow() => Epoch + loop.Now;

    public override long GetTimestamp() => loop.Now.Ticks;

    public override long TimestampFrequency => TimeSpan.TicksPerSecond;

    public override TimeZoneInfo LocalTimeZone => TimeZoneInfo.Utc;

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var timer = new SimTimer(loop, callback, state);
        timer.Change(dueTime, period);
        return timer;
    }

    private sealed class SimTimer(SimLoop loop, TimerCallback callback, object? state) : ITimer
    {
        private SimLoop.Entry? _next;
        private TimeSpan _period = Timeout.InfiniteTimeSpan;
        private bool _disposed;

        public bool Change(TimeSpan dueTime, TimeSpan period)
        {
            if (_disposed)
            {
                return false;
            }

            _next?.Cancelled = true;
            _next = null;
            _period = period;
            if (dueTime != Timeout.InfiniteTimeSpan)
            {
                Schedule(dueTime);
            }

            return true;
        }

        public void Dispose()
        {
            _disposed = true;
            _next?.Cancelled = true;
            _next = null;
        }

        public ValueTask DisposeAsync()
        {
            Dispose();
            return ValueTask.CompletedTask;
        }

        private void Schedule(TimeSpan due) => _next = loop.At(due, Fire, work: false);

        private void Fire()
        {
            _next = null;
            if (_disposed)
            {
                return;
            }

            if (_period != Timeout.InfiniteTimeSpan && _period > TimeSpan.Zero)
            {
                Schedule(_period);
            }

            callback(state);
        }
    }
}

/// <summary>One node's view of time: the simulation's clock moved by the node's skew. Timers are the shared ones.</summary>
internal sealed class SkewedTime(SimTime time, TimeSpan skew) : TimeProvider
{
    public TimeSpan Skew { get; set; } = skew;

    public override DateTimeOffset GetUtcNow() => time.GetUtcNow() + Skew;

    public override long GetTimestamp() => time.GetTimestamp();

    public override long TimestampFrequency => time.TimestampFrequency;

    public override TimeZoneInfo LocalTimeZone => TimeZoneInfo.Utc;

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period) =>
        time.CreateTimer(callback, state, dueTime, period);
}
