namespace KvStore.Cluster;

/// <summary>
/// A node's background loop (hint delivery, anti-entropy, tombstone collection): started once,
/// stopped by cancelling it and waiting for it to end, at most once.
/// </summary>
internal sealed class BackgroundLoop : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private Task? _loop;
    private int _disposed;

    /// <summary>Starts <paramref name="run"/> with the token that stops it; a second call does nothing.</summary>
    public void Start(Func<CancellationToken, Task> run) => _loop ??= run(_stop.Token);

    /// <summary>
    /// Starts running <paramref name="pass"/> once every <paramref name="interval"/> of
    /// <paramref name="time"/>, one pass at a time; a pass that throws is reported to
    /// <paramref name="failed"/> and the next tick runs the next one.
    /// </summary>
    public void StartPeriodic(TimeSpan interval, TimeProvider time, Func<CancellationToken, Task> pass, Action<Exception> failed) =>
        Start(async stop =>
        {
            using var timer = new PeriodicTimer(interval, time);
            while (await timer.WaitForNextTickAsync(stop))
            {
                try
                {
                    await pass(stop);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    failed(e);
                }
            }
        });

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        await _stop.CancelAsync();
        if (_loop is not null)
        {
            try
            {
                await _loop;
            }
            catch (OperationCanceledException)
            {
                // Stopping.
            }
        }

        _stop.Dispose();
    }
}
