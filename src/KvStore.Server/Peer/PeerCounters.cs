using KvStore.Cluster.Security;

namespace KvStore.Server.Peer;

/// <summary>Peer gRPC messages this node refused, by reason, for the admin endpoint and metrics.</summary>
internal sealed class PeerCounters
{
    private long _unauthenticated;
    private long _expired;
    private long _replayed;
    private long _malformed;

    public long Unauthenticated => Interlocked.Read(ref _unauthenticated);

    public long Expired => Interlocked.Read(ref _expired);

    public long Replayed => Interlocked.Read(ref _replayed);

    public long Malformed => Interlocked.Read(ref _malformed);

    public void Refused(AuthResult result)
    {
        switch (result)
        {
            case AuthResult.Expired:
                Interlocked.Increment(ref _expired);
                break;
            case AuthResult.Replayed:
                Interlocked.Increment(ref _replayed);
                break;
            case AuthResult.Malformed:
                Interlocked.Increment(ref _malformed);
                break;
            default:
                Interlocked.Increment(ref _unauthenticated);
                break;
        }
    }

    public void CountMalformed() => Interlocked.Increment(ref _malformed);
}
