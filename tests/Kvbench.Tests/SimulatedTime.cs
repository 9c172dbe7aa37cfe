namespace KvStore.Kvbench.Tests;

/// <summary>
/// A clock that moves only when told to, and jumps straight to the end of every wait: a paced
/// caller that waits and a fake store that "takes" time both run instantly and exactly.
/// </summary>
internal sealed class SimulatedTime : TimeProvider
{
    private long _now;

    public override long TimestampFrequency => TimeSpan.TicksPerSecond;

    public override long GetTimestamp() => _now;

    public void Advance(TimeSpan by) => _now += by.Ticks;

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        if (period != Timeout.InfiniteTimeSpan)
        {
            throw new NotSupportedException("a simulated wait fires once");
        }

        Advance(dueTime);
        callback(state);
        return new Fired();
    }

    private sealed class Fired : ITimer
    {
        public bool Change(TimeSpan dueTime, TimeSpan period) => false;

        public void Dispose()
        {
        }

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}

/// <summary>A store whose every call takes simulated time, as long as <c>duration(call number)</c> says, and can answer batches with failures.</summary>
internal sealed class SimulatedSession(SimulatedTime time, Func<long, TimeSpan> duration) : Targets.ITargetSession
{
    private long _calls;

    /// <summary>Sets a batch operation's status from its position in the batch; 0 (OK) unless set.</summary>
    public Func<int, int> BatchCode { get; init; } = _ => 0;

    /// <summary>Whether a call fails as a whole, by call number.</summary>
    public Func<long, bool> FailCall { get; init; } = _ => false;

    /// <summary>A call that never answers: it stops the run with the source returned for its call number, as the runner's timer would.</summary>
    public Func<long, CancellationTokenSource?> Hang { get; init; } = _ => null;

    public long Calls => _calls;

    public Task ReadAsync(long record, CancellationToken cancellationToken) => Call();

    public Task WriteAsync(long record, int value, CancellationToken cancellationToken) => Call();

    public Task ReadModifyWriteAsync(long record, int value, CancellationToken cancellationToken) => Call();

    public Task EmptyAsync(CancellationToken cancellationToken) => Call();

    public Task WriteBatchAsync(long[] records, int[] values, int[] codes, CancellationToken cancellationToken)
    {
        for (var i = 0; i < codes.Length; i++)
        {
            codes[i] = BatchCode(i);
        }

        return Call();
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    private Task Call()
    {
        var call = _calls++;
        if (Hang(call) is { } stop)
        {
            stop.Cancel();
            return Task.FromCanceled(stop.Token);
        }

        time.Advance(duration(call));
        return FailCall(call)
            ? Task.FromException(new Grpc.Core.RpcException(new Grpc.Core.Status(Grpc.Core.StatusCode.Unavailable, "simulated")))
            : Task.CompletedTask;
    }
}
