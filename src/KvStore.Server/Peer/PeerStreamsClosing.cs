namespace KvStore.Server.Peer;

/// <summary>
/// Fired once this node has left the cluster on shutdown: the peers' replication streams into it
/// then finish what they carry and end. Those streams never end on their own, so without this the
/// web server would wait its whole shutdown timeout for them.
/// </summary>
internal sealed class PeerStreamsClosing : IDisposable
{
    private readonly CancellationTokenSource _closing = new();

    public CancellationToken Token => _closing.Token;

    public void Close() => _closing.Cancel();

    public void Dispose() => _closing.Dispose();
}
