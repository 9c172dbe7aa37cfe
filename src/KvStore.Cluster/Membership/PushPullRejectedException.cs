namespace KvStore.Cluster.Membership;

/// <summary>A push-pull request that was refused (and counted): not authentic, replayed, malformed, or from an unknown sender.</summary>
public sealed class PushPullRejectedException(string reason) : Exception($"push-pull refused: {reason}")
{
    public string Reason { get; } = reason;
}
