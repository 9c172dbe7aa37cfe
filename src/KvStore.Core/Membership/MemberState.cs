namespace KvStore.Core.Membership;

/// <summary>
/// What the cluster believes about a member (SWIM, Das et al. 2002). Values are persisted and sent
/// between nodes: they are explicit and append-only.
/// </summary>
public enum MemberState : byte
{
    /// <summary>Answering probes, or refuted its last suspicion.</summary>
    Alive = 1,

    /// <summary>Missed a direct and the indirect probes; it may still refute by raising its incarnation.</summary>
    Suspect = 2,

    /// <summary>Did not refute within the suspicion timeout. It keeps its place on the ring until reaped.</summary>
    Dead = 3,

    /// <summary>Announced that it is leaving. It gives up its place on the ring.</summary>
    Left = 4,
}
