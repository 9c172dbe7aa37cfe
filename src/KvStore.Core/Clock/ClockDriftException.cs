namespace KvStore.Core.Clock;

/// <summary>A timestamp from elsewhere is further ahead of the local clock than the allowed drift.</summary>
public sealed class ClockDriftException(HlcTimestamp remote, long localMillis, TimeSpan maxDrift)
    : Exception($"timestamp {remote} is {remote.WallMillis - localMillis} ms ahead of this node's clock; the limit is {(long)maxDrift.TotalMilliseconds} ms")
{
    public HlcTimestamp Remote { get; } = remote;
}
