namespace KvStore.Cluster.Membership;

/// <summary>
/// A reliable request/reply exchange for push-pull (memberlist uses TCP for it): the full member
/// table does not fit a datagram. The server carries it over its peer gRPC service and answers with
/// <see cref="SwimMembership.HandlePushPull"/>; tests use the in-memory twin.
/// </summary>
public interface IPushPullChannel
{
    /// <summary>Sends a sealed request to the member at <paramref name="address"/> and returns its sealed reply.</summary>
    /// <exception cref="OperationCanceledException"><paramref name="ct"/> fired first.</exception>
    Task<byte[]> ExchangeAsync(string address, byte[] sealedRequest, CancellationToken ct);
}
