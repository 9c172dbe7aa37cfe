namespace KvStore.Cluster.AntiEntropy;

/// <summary>
/// A token bucket over bytes: spending more than is available makes the spender wait until the
/// debt is paid back at the configured rate. Holds at most one second of unused rate, so an idle
/// period does not permit a burst larger than that.
/// </summary>
public sealed class ByteRate(long bytesPerSecond, TimeProvider time)
{
    private readonly Lock _lock = new();
    private double _tokens = bytesPerSecond;
    private long _stamp = time.GetTimestamp();

    /// <summary>Spends <paramref name="bytes"/>, waiting while the bucket is in debt. A rate of 0 never waits.</summary>
    public Task SpendAsync(long bytes, CancellationToken cancellationToken)
    {
        if (bytesPerSecond <= 0 || bytes <= 0)
        {
            return Task.CompletedTask;
        }

        TimeSpan wait;
        lock (_lock)
        {
            var now = time.GetTimestamp();
            _tokens = Math.Min(bytesPerSecond, _tokens + (time.GetElapsedTime(_stamp, now).TotalSeconds * bytesPerSecond));
            _stamp = now;
            _tokens -= bytes;
            wait = _tokens >= 0 ? TimeSpan.Zero : TimeSpan.FromSeconds(-_tokens / bytesPerSecond);
        }

        return wait == TimeSpan.Zero ? Task.CompletedTask : Task.Delay(wait, time, cancellationToken);
    }
}
