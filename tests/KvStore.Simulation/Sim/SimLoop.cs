namespace KvStore.Simulation.Sim;

/// <summary>
/// The simulator's only thread of control: a queue of timed events under virtual time, and a
/// synchronization context that queues every continuation posted to it. While <see cref="Run"/>
/// runs, all awaits in the simulated nodes resume here, in an order fixed by the event queue, so
/// one seed always produces one execution (FoundationDB's deterministic simulation, in small).
/// </summary>
internal sealed class SimLoop : SynchronizationContext
{
    /// <summary>Events run in one simulation at most: a livelock fails the run instead of hanging the test.</summary>
    public const long MaxEvents = 5_000_000;

    private readonly PriorityQueue<Entry, (long At, long Seq)> _timed = new();
    private readonly Queue<(SendOrPostCallback Callback, object? State)> _ready = new();
    private long _seq;
    private int _thread = -1;
    private ulong _trace = 14695981039346656037UL;

    public SimLoop()
    {
        Time = new SimTime(this);
    }

    /// <summary>Virtual time since the start of the simulation.</summary>
    public TimeSpan Now { get; private set; }

    public SimTime Time { get; }

    /// <summary>Events run so far.</summary>
    public long Events { get; private set; }

    /// <summary>A hash of every traced step in order: two runs of one seed must end with the same value.</summary>
    public ulong TraceHash => _trace;

    /// <summary>Non-timer events still queued (timers of pending deadlines excluded).</summary>
    public int PendingWork { get; private set; }

    /// <summary>Set when code ran on a thread other than the simulation's, which breaks determinism.</summary>
    public string? Escaped { get; private set; }

    /// <summary>When set, every traced step is also kept here with its time (for replaying one seed).</summary>
    public List<string>? Log { get; set; }

    /// <summary>Folds a step into <see cref="TraceHash"/> (FNV-1a over the time and the text).</summary>
    public void Trace(string step)
    {
        CheckThread(step);
        Log?.Add($"{Now.TotalMilliseconds,9:F1} {step}");
        Mix(Now.Ticks);
        foreach (var c in step)
        {
            Mix(c);
        }
    }

    /// <summary>Runs <paramref name="action"/> after <paramref name="delay"/> of virtual time.</summary>
    public Entry At(TimeSpan delay, Action action, bool work = true)
    {
        var entry = new Entry(action, work);
        if (work)
        {
            PendingWork++;
        }

        _timed.Enqueue(entry, ((Now + (delay < TimeSpan.Zero ? TimeSpan.Zero : delay)).Ticks, _seq++));
        return entry;
    }

    public override void Post(SendOrPostCallback d, object? state)
    {
        // A continuation posted from another thread would be a nondeterministic escape.
        CheckThread("post");
        _ready.Enqueue((d, state));
    }

    public override void Send(SendOrPostCallback d, object? state) => throw new NotSupportedException("the simulation runs on one thread");

    public override SynchronizationContext CreateCopy() => this;

    /// <summary>
    /// Runs events until <paramref name="done"/> holds, no work is left, or virtual time passes
    /// <paramref name="until"/>. Returns whether <paramref name="done"/> held.
    /// </summary>
    public bool Run(Func<bool> done, TimeSpan until)
    {
        var previous = Current;
        _thread = Environment.CurrentManagedThreadId;
        SetSynchronizationContext(this);
        try
        {
            while (true)
            {
                Drain();
                if (done())
                {
                    return true;
                }

                if (!_timed.TryPeek(out _, out var key) || key.At > until.Ticks || Events > MaxEvents)
                {
                    return false;
                }

                var entry = _timed.Dequeue();
                if (entry.Work)
                {
                    PendingWork--;
                }

                if (entry.Cancelled)
                {
                    continue;
                }

                Now = TimeSpan.FromTicks(key.At);
                Events++;
                entry.Action();
            }
        }
        finally
        {
            SetSynchronizationContext(previous);
        }
    }

    private void Drain()
    {
        while (_ready.TryDequeue(out var item))
        {
            Events++;
            item.Callback(item.State);
        }
    }

    private void CheckThread(string what)
    {
        if (_thread != -1 && Environment.CurrentManagedThreadId != _thread)
        {
            Escaped ??= $"'{what}' ran on thread {Environment.CurrentManagedThreadId}, not the simulation's thread {_thread}" + (Environment.GetEnvironmentVariable("KVSIM_STACK") is { Length: > 0 } ? Environment.StackTrace : "");
        }
    }

    private void Mix(long value)
    {
        for (var i = 0; i < 8; i++)
        {
            _trace = (_trace ^ (byte)(value >> (8 * i))) * 1099511628211UL;
        }
    }

    /// <summary>A queued event; a cancelled one is skipped when its time comes.</summary>
    internal sealed class Entry(Action action, bool work)
    {
        public Action Action { get; } = action;

        public bool Work { get; } = work;

        public bool Cancelled { get; set; }
    }
}
