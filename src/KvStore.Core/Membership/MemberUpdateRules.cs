namespace KvStore.Core.Membership;

/// <summary>
/// The precedence of claims about a member, as in SWIM's suspicion mechanism (Das et al. 2002,
/// section 4.2) and memberlist's state.go. The incarnation number is raised only by the member
/// itself, so it orders claims: a higher incarnation always wins, and at equal incarnations the
/// worse news wins (suspect over alive, dead over both), which is what lets a suspicion stand until
/// the member refutes it with a fresh incarnation.
/// </summary>
public static class MemberUpdateRules
{
    /// <summary>Decides what to do with a claim <paramref name="claim"/> at <paramref name="incarnation"/>.</summary>
    /// <param name="current">The table's entry for the member, or null if it is unknown.</param>
    /// <param name="claim">The claimed state.</param>
    /// <param name="incarnation">The incarnation the claim names.</param>
    /// <param name="isSelf">Whether the member is this node: then bad news is refuted, not applied.</param>
    public static UpdateDecision Decide(Member? current, MemberState claim, ulong incarnation, bool isSelf)
    {
        if (current is null)
        {
            // Only an alive record introduces a member: it carries the address, and (in the engine) a
            // signature by the member. Suspicion or death of a member nobody introduced carries no information.
            return claim == MemberState.Alive && !isSelf ? UpdateDecision.Apply : UpdateDecision.IgnoreNoChange;
        }

        return isSelf ? DecideAboutSelf(current, claim, incarnation) : DecideAboutOther(current, claim, incarnation);
    }

    private static UpdateDecision DecideAboutSelf(Member self, MemberState claim, ulong incarnation)
    {
        if (incarnation < self.Incarnation)
        {
            return UpdateDecision.IgnoreStale;
        }

        if (self.State == MemberState.Left)
        {
            // This node announced its departure; it does not argue with what others say about it afterwards.
            return UpdateDecision.IgnoreNoChange;
        }

        return claim switch
        {
            // Only this node signs its alive records. A newer one than it holds means it restarted
            // and lost its count; it must move past that incarnation so its current address wins.
            MemberState.Alive => incarnation > self.Incarnation ? UpdateDecision.RefuteNeeded : UpdateDecision.IgnoreNoChange,
            _ => UpdateDecision.RefuteNeeded,
        };
    }

    private static UpdateDecision DecideAboutOther(Member current, MemberState claim, ulong incarnation)
    {
        if (incarnation < current.Incarnation)
        {
            return UpdateDecision.IgnoreStale;
        }

        var newer = incarnation > current.Incarnation;
        var apply = (claim, current.State) switch
        {
            // Alive needs a strictly newer incarnation to override anything, alive included: only the
            // member can raise it, so a newer alive record is the member refuting or rejoining.
            (MemberState.Alive, _) => newer,

            // Suspicion overrides alive at the same incarnation (that is the point of suspecting) and
            // an older suspicion only when newer. It never overrides dead or left: they are final
            // for the incarnation, and a newer incarnation can only come from the member's alive record.
            (MemberState.Suspect, MemberState.Alive) => true,
            (MemberState.Suspect, MemberState.Suspect) => newer,
            (MemberState.Suspect, _) => false,

            // Death overrides alive and suspect at the same or a newer incarnation; a dead member stays dead.
            (MemberState.Dead, MemberState.Alive or MemberState.Suspect) => true,
            (MemberState.Dead, _) => false,

            // Left is the member's own signed farewell, a dead variant: it overrides alive, suspect and
            // a dead verdict (it tells the ring to give up the member's place) and is final for that incarnation.
            (MemberState.Left, MemberState.Alive or MemberState.Suspect or MemberState.Dead) => true,
            (MemberState.Left, _) => false,

            _ => false,
        };

        return apply ? UpdateDecision.Apply : UpdateDecision.IgnoreNoChange;
    }
}
