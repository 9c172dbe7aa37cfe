namespace KvStore.Cluster;

/// <summary>
/// Ends one call to another node after a timeout on the injected clock (so a fake or simulated
/// clock governs it too), or earlier when the caller's own token is cancelled.
/// </summary>
internal sealed class PeerDeadline : IDisposable
{
    private readonly CancellationTokenSource _timeout;
    private readonly CancellationTokenSource _linked;

    public PeerDeadline(TimeSpan timeout, TimeProvider time, CancellationToken cancellationToken)
    {
        _timeout = new CancellationTokenSource(timeout, time);
        _linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _timeout.Token);
    }

    public CancellationToken Token => _linked.Token;

    public void Dispose()
    {
        _linked.Dispose();
        _timeout.Dispose();
    }
}
