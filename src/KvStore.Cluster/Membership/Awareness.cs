namespace KvStore.Cluster.Membership;

/// <summary>
/// Lifeguard's local health score (Dadgar et al. 2018, section 4.1): it rises when this node misses
/// acks or nacks it should have received, or has to refute a suspicion about itself, and falls with
/// each successful probe. Timeouts are multiplied by score + 1, so a node that is itself slow waits
/// longer before blaming others. Bounded to [0, max - 1].
/// </summary>
internal sealed class Awareness(int maxMultiplier)
{
    public int Score { get; private set; }

    public void Apply(int delta) => Score = Math.Clamp(Score + delta, 0, maxMultiplier - 1);
}
