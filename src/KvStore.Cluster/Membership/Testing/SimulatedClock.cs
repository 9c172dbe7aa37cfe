namespace KvStore.Cluster.Membership.Testing;

/// <summary>
/// A discrete-event clock for large simulations: time stands still until <see cref="RunUntil(DateTimeOffset)"/>,
/// which jumps straight to the next due timer, sets the time to its due time, runs it, and repeats.
/// A callback sees the clock at its own due time, so a timer it creates is due relative to that.
/// </summary>
/// <remarks>
/// <para>
/// It runs timers in exactly the order FakeTimeProvider does when that is advanced a millisecond at a
/// time (as the membership tests drive it) and every due time is a whole millisecond (as
/// <see cref="TimerSet"/> and <see cref="InMemoryNetwork"/> make them), so a simulation replays what
/// those tests would see with the same seed. FakeTimeProvider picks, among timers due at the same
/// time, the one armed earliest, and among those armed at the same time, the one that comes first in
/// its set of waiters; that set is a HashSet, whose iteration order is the order of its slots, and it
/// reuses the most recently freed slot first. This clock keeps the same slots. What it does not
/// copy is FakeTimeProvider's cost: finding the next timer is a heap operation instead of a scan of
/// every timer, and a quiet stretch costs nothing, which is what makes a thousand-node cluster
/// affordable.
/// </para>
/// <para>
/// Callbacks run on the thread that calls <see cref="RunUntil(DateTimeOffset)"/>, one at a time.
/// Unlike FakeTimeProvider, a zero due time does not run the callback inside the call that set it:
/// it runs at the current time on the next run, as a real timer would run it on another thread.
/// A changed or disposed timer leaves its old entry in the heap, skipped when it comes due, so the
/// heap holds at most the timers armed within the longest due time.
/// </para>
/// </remarks>
public sealed class SimulatedClock : TimeProvider
{
    private readonly Lock _gate = new();
    private readonly PriorityQueue<(SimTimer Timer, long Generation), (long Due, long ArmedAt, int Slot)> _queue = new();
    private readonly Stack<int> _freeSlots = new();
    private int _slotsUsed;
    private long _nowTicks;

    public SimulatedClock(DateTimeOffset start) => _nowTicks = start.UtcTicks;

    /// <summary>Callbacks run so far.</summary>
    public long Fired { get; private set; }

    public override DateTimeOffset GetUtcNow()
    {
        lock (_gate)
        {
            return new DateTimeOffset(_nowTicks, TimeSpan.Zero);
        }
    }

    public override long TimestampFrequency => TimeSpan.TicksPerSecond;

    public override long GetTimestamp()
    {
        lock (_gate)
        {
            return _nowTicks;
        }
    }

    public override TimeZoneInfo LocalTimeZone => TimeZoneInfo.Utc;

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        ArgumentNullException.ThrowIfNull(callback);
        var timer = new SimTimer(this, callback, state);
        timer.Change(dueTime, period);
        return timer;
    }

    /// <summary>Advances the clock by <paramref name="duration"/>, running every timer due on the way, in order.</summary>
    public void Advance(TimeSpan duration) => RunUntil(GetUtcNow() + duration);

    /// <summary>Runs every timer due up to and including <paramref name="until"/>, in order, then sets the clock to it.</summary>
    public void RunUntil(DateTimeOffset until) => RunUntil(static () => false, until);

    /// <summary>
    /// Runs due timers in order until <paramref name="done"/> holds (checked before the first and after
    /// each callback) or the next timer is due after <paramref name="deadline"/>. The clock stays at the
    /// callback that made <paramref name="done"/> true, so the caller can read when that happened;
    /// otherwise it ends at <paramref name="deadline"/>.
    /// </summary>
    /// <returns>Whether <paramref name="done"/> held.</returns>
    public bool RunUntil(Func<bool> done, DateTimeOffset deadline)
    {
        var limit = deadline.UtcTicks;
        while (!done())
        {
            SimTimer timer;
            long generation;
            lock (_gate)
            {
                if (!TryTakeDue(limit, out timer, out generation))
                {
                    if (_nowTicks < limit)
                    {
                        _nowTicks = limit;
                    }

                    return false;
                }

                Fired++;
            }

            timer.Invoke();
            if (timer.PeriodTicks == 0)
            {
                timer.Retire(generation);
            }
        }

        return true;
    }

    /// <summary>Pops the next live timer due by <paramref name="limit"/>, moves the clock to its due time and re-arms it if periodic.</summary>
    private bool TryTakeDue(long limit, out SimTimer timer, out long generation)
    {
        while (_queue.TryPeek(out var entry, out var key) && key.Due <= limit)
        {
            _queue.Dequeue();
            if (entry.Timer.Generation != entry.Generation)
            {
                continue;
            }

            _nowTicks = Math.Max(_nowTicks, key.Due);
            if (entry.Timer.PeriodTicks > 0)
            {
                // FakeTimeProvider re-arms after the callback, at the same time and in the same slot; the key is the same.
                Enqueue(entry.Timer, key.Due + entry.Timer.PeriodTicks);
            }

            timer = entry.Timer;
            generation = entry.Generation;
            return true;
        }

        timer = null!;
        generation = 0;
        return false;
    }

    private void Enqueue(SimTimer timer, long due) => _queue.Enqueue((timer, timer.Generation), (due, _nowTicks, timer.Slot));

    /// <summary>A slot as HashSet assigns them: the most recently freed first, else a new one at the end.</summary>
    private int TakeSlot() => _freeSlots.TryPop(out var slot) ? slot : _slotsUsed++;

    private sealed class SimTimer(SimulatedClock clock, TimerCallback callback, object? state) : ITimer
    {
        /// <summary>Bumped by every change, so entries queued before it are skipped.</summary>
        public long Generation { get; private set; }

        public long PeriodTicks { get; private set; }

        /// <summary>This timer's place in FakeTimeProvider's waiter set while it is armed, else -1.</summary>
        public int Slot { get; private set; } = -1;

        private bool Disposed { get; set; }

        public void Invoke() => callback(state);

        /// <summary>A one-shot timer that fired leaves the set after its callback, unless the callback changed it.</summary>
        public void Retire(long firedGeneration)
        {
            lock (clock._gate)
            {
                if (Generation == firedGeneration)
                {
                    Disarm();
                }
            }
        }

        public bool Change(TimeSpan dueTime, TimeSpan period)
        {
            if (dueTime < TimeSpan.Zero && dueTime != Timeout.InfiniteTimeSpan)
            {
                throw new ArgumentOutOfRangeException(nameof(dueTime));
            }

            if (period < TimeSpan.Zero && period != Timeout.InfiniteTimeSpan)
            {
                throw new ArgumentOutOfRangeException(nameof(period));
            }

            lock (clock._gate)
            {
                if (Disposed)
                {
                    return false;
                }

                Disarm();

                // As System.Threading.Timer: a zero period means no repeats.
                PeriodTicks = period == Timeout.InfiniteTimeSpan ? 0 : period.Ticks;
                if (dueTime != Timeout.InfiniteTimeSpan)
                {
                    Slot = clock.TakeSlot();
                    clock.Enqueue(this, clock._nowTicks + dueTime.Ticks);
                }

                return true;
            }
        }

        public void Dispose()
        {
            lock (clock._gate)
            {
                Disposed = true;
                Disarm();
            }
        }

        public ValueTask DisposeAsync()
        {
            Dispose();
            return ValueTask.CompletedTask;
        }

        /// <summary>Leaves the set: frees the slot and makes any queued entry stale.</summary>
        private void Disarm()
        {
            Generation++;
            if (Slot >= 0)
            {
                clock._freeSlots.Push(Slot);
                Slot = -1;
            }
        }
    }
}
