namespace KvStore.Cluster;

/// <summary>
/// A node's background loop (hint delivery, anti-entropy): started once, stopped by cancelling
/// it and waiting for it to end, at most once.
/// </summary>
internal sealed class BackgroundLoop : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private Task? _loop;
    private int _disposed;

    /// <summary>Starts <paramref name="run"/> with the token that stops it; a second call does nothing.</summary>
    public void Start(Func<CancellationToken, Task> run) => _loop ??= run(_stop.Token);

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
