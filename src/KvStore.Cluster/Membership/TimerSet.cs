namespace KvStore.Cluster.Membership;

/// <summary>
/// One-shot and periodic callbacks from the injected <see cref="TimeProvider"/>, kept referenced
/// until they fire or are cancelled: an unreferenced timer may be collected and never fire, with the
/// system clock and with a fake one alike. Due times are at least a millisecond, so a callback never
/// runs inside the call that scheduled it (a fake clock runs zero-delay timers at once).
/// </summary>
internal sealed class TimerSet(TimeProvider time) : IDisposable
{
    private static readonly TimeSpan Min = TimeSpan.FromMilliseconds(1);
    private readonly Lock _gate = new();
    private readonly HashSet<Handle> _live = [];
    private bool _disposed;

    public IDisposable Once(TimeSpan due, Action action) => Start(due, Timeout.InfiniteTimeSpan, action);

    public IDisposable Every(TimeSpan period, Action action) => Start(period, period, action);

    public void Dispose()
    {
        List<Handle> live;
        lock (_gate)
        {
            _disposed = true;
            live = [.. _live];
            _live.Clear();
        }

        foreach (var h in live)
        {
            h.Timer?.Dispose();
        }
    }

    private Handle Start(TimeSpan due, TimeSpan period, Action action)
    {
        var handle = new Handle(this, action, period == Timeout.InfiniteTimeSpan);
        lock (_gate)
        {
            if (_disposed)
            {
                return handle;
            }

            _live.Add(handle);
            handle.Timer = time.CreateTimer(static s => ((Handle)s!).Fire(), handle, due < Min ? Min : due, period);
        }

        return handle;
    }

    private bool Retire(Handle handle)
    {
        lock (_gate)
        {
            return _live.Remove(handle);
        }
    }

    private sealed class Handle(TimerSet owner, Action action, bool once) : IDisposable
    {
        public ITimer? Timer { get; set; }

        public void Fire()
        {
            if (once)
            {
                if (!owner.Retire(this))
                {
                    return;
                }

                Timer?.Dispose();
            }
            else
            {
                lock (owner._gate)
                {
                    if (!owner._live.Contains(this))
                    {
                        return;
                    }
                }
            }

            action();
        }

        public void Dispose()
        {
            owner.Retire(this);
            Timer?.Dispose();
        }
    }
}
