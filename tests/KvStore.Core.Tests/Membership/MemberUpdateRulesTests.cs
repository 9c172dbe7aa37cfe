using KvStore.Core.Membership;
using static KvStore.Core.Membership.MemberState;
using static KvStore.Core.Membership.UpdateDecision;

namespace KvStore.Core.Tests.Membership;

public sealed class MemberUpdateRulesTests
{
    private static Member M(MemberState state, ulong incarnation) => new("b", "10.0.0.2:7070", "", state, incarnation);

    [Theory]
    // alive(i) over alive(j) only if i > j
    [InlineData(Alive, 5, Alive, 6, Apply)]
    [InlineData(Alive, 5, Alive, 5, IgnoreNoChange)]
    [InlineData(Alive, 5, Alive, 4, IgnoreStale)]
    // alive(i) over suspect/dead(j) only if i > j
    [InlineData(Suspect, 5, Alive, 6, Apply)]
    [InlineData(Suspect, 5, Alive, 5, IgnoreNoChange)]
    [InlineData(Suspect, 5, Alive, 4, IgnoreStale)]
    [InlineData(Dead, 5, Alive, 6, Apply)]
    [InlineData(Dead, 5, Alive, 5, IgnoreNoChange)]
    [InlineData(Left, 5, Alive, 6, Apply)]
    [InlineData(Left, 5, Alive, 5, IgnoreNoChange)]
    // suspect(i) over alive(j) if i >= j, over suspect(j) if i > j, never over dead or left
    [InlineData(Alive, 5, Suspect, 5, Apply)]
    [InlineData(Alive, 5, Suspect, 6, Apply)]
    [InlineData(Alive, 5, Suspect, 4, IgnoreStale)]
    [InlineData(Suspect, 5, Suspect, 5, IgnoreNoChange)]
    [InlineData(Suspect, 5, Suspect, 6, Apply)]
    [InlineData(Suspect, 5, Suspect, 4, IgnoreStale)]
    [InlineData(Dead, 5, Suspect, 6, IgnoreNoChange)]
    [InlineData(Left, 5, Suspect, 5, IgnoreNoChange)]
    // dead(i) over alive/suspect(j) if i >= j
    [InlineData(Alive, 5, Dead, 5, Apply)]
    [InlineData(Suspect, 5, Dead, 5, Apply)]
    [InlineData(Suspect, 5, Dead, 7, Apply)]
    [InlineData(Alive, 5, Dead, 4, IgnoreStale)]
    [InlineData(Dead, 5, Dead, 6, IgnoreNoChange)]
    [InlineData(Left, 5, Dead, 5, IgnoreNoChange)]
    // left(i) over alive/suspect/dead(j) if i >= j, final for its incarnation
    [InlineData(Alive, 5, Left, 5, Apply)]
    [InlineData(Alive, 5, Left, 6, Apply)]
    [InlineData(Suspect, 5, Left, 6, Apply)]
    [InlineData(Dead, 5, Left, 5, Apply)]
    [InlineData(Left, 5, Left, 6, IgnoreNoChange)]
    [InlineData(Alive, 5, Left, 4, IgnoreStale)]
    public void Claims_about_another_member_follow_memberlists_precedence(
        MemberState state, ulong inc, MemberState claim, ulong claimInc, UpdateDecision expected) =>
        Assert.Equal(expected, MemberUpdateRules.Decide(M(state, inc), claim, claimInc, isSelf: false));

    [Theory]
    [InlineData(Alive, IgnoreNoChange)]
    [InlineData(Suspect, IgnoreNoChange)]
    [InlineData(Dead, IgnoreNoChange)]
    [InlineData(Left, IgnoreNoChange)]
    public void Only_an_alive_record_introduces_an_unknown_member(MemberState claim, UpdateDecision expectedIfNotAlive)
    {
        var expected = claim == Alive ? Apply : expectedIfNotAlive;
        Assert.Equal(expected, MemberUpdateRules.Decide(null, claim, 1, isSelf: false));
    }

    [Theory]
    [InlineData(Alive, 5, Suspect, 5, RefuteNeeded)]
    [InlineData(Alive, 5, Suspect, 9, RefuteNeeded)]
    [InlineData(Alive, 5, Dead, 5, RefuteNeeded)]
    [InlineData(Alive, 5, Left, 5, RefuteNeeded)]
    [InlineData(Alive, 5, Alive, 6, RefuteNeeded)]
    [InlineData(Alive, 5, Alive, 5, IgnoreNoChange)]
    [InlineData(Alive, 5, Suspect, 4, IgnoreStale)]
    [InlineData(Alive, 5, Dead, 4, IgnoreStale)]
    [InlineData(Left, 6, Suspect, 6, IgnoreNoChange)]
    [InlineData(Left, 6, Dead, 7, IgnoreNoChange)]
    [InlineData(Left, 6, Dead, 5, IgnoreStale)]
    public void Bad_news_about_this_node_at_its_incarnation_or_later_is_refuted(
        MemberState state, ulong inc, MemberState claim, ulong claimInc, UpdateDecision expected) =>
        Assert.Equal(expected, MemberUpdateRules.Decide(M(state, inc), claim, claimInc, isSelf: true));
}
