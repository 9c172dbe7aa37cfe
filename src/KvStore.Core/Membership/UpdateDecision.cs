namespace KvStore.Core.Membership;

/// <summary>What a node does with one claim about a member. Values are explicit and append-only.</summary>
public enum UpdateDecision : byte
{
    /// <summary>The claim is newer than what the table holds: take it and gossip it on.</summary>
    Apply = 1,

    /// <summary>The claim names an older incarnation than the table's: drop it and count it as stale.</summary>
    IgnoreStale = 2,

    /// <summary>The claim says nothing new (same incarnation, weaker or equal state, or an unknown member's suspicion).</summary>
    IgnoreNoChange = 3,

    /// <summary>
    /// A claim about this node that, if left standing, would make the cluster think it is not alive:
    /// the node raises its incarnation above the claim's and gossips that it is alive (SWIM section 4.2).
    /// </summary>
    RefuteNeeded = 4,
}
