namespace KvStore.Cluster.AntiEntropy;

/// <summary>What one exchange with a peer found and did.</summary>
/// <param name="Peer">The other replica.</param>
/// <param name="Share">The fraction of the ring compared: the ranges both replicate.</param>
/// <param name="Depth">How deep the descent went: 0 when the roots agreed, 4 when it reached leaves.</param>
/// <param name="SegmentsDiffering">Leaf segments whose clipped hashes differed.</param>
/// <param name="KeysDiffering">Keys missing on one side or holding different objects.</param>
/// <param name="KeysFetched">Objects fetched from the peer and merged here.</param>
/// <param name="KeysPushed">Objects sent to the peer to merge.</param>
/// <param name="KeysRefused">Keys the replicas hold as different types, which cannot merge.</param>
/// <param name="BytesSent">Bytes of peer messages sent (<see cref="AntiEntropyWire"/>).</param>
/// <param name="BytesReceived">Bytes of peer messages received.</param>
/// <param name="Truncated">True when <see cref="AntiEntropyOptions.MaxKeysPerExchange"/> cut the repair short.</param>
/// <param name="Error">Why the exchange stopped early, or null.</param>
public sealed record ExchangeReport(
    string Peer,
    DateTimeOffset Started,
    TimeSpan Duration,
    double Share,
    int Depth,
    int SegmentsDiffering,
    int KeysDiffering,
    int KeysFetched,
    int KeysPushed,
    int KeysRefused,
    long BytesSent,
    long BytesReceived,
    bool Truncated,
    string? Error)
{
    public long Bytes => BytesSent + BytesReceived;
}
