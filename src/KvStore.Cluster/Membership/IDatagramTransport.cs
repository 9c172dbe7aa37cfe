namespace KvStore.Cluster.Membership;

/// <summary>
/// Unreliable, unordered datagrams between members: UDP in production, an in-memory twin in tests
/// (SWIM assumes exactly this and nothing more). Implementations must be safe to call from any thread.
/// </summary>
public interface IDatagramTransport : IAsyncDisposable
{
    /// <summary>The address others reach this transport at, HOST:PORT.</summary>
    string LocalAddress { get; }

    /// <summary>Sends one datagram; best effort, a failure is not reported beyond the returned task.</summary>
    ValueTask SendAsync(string address, ReadOnlyMemory<byte> datagram, CancellationToken ct);

    /// <summary>Begins delivering received datagrams, with the sender's address, to <paramref name="onDatagram"/>. Called once.</summary>
    void Start(Action<string, ReadOnlyMemory<byte>> onDatagram);
}
