using KvStore.Core.Membership;

namespace KvStore.Cluster.Membership.Messages;

/// <summary>One piggybacked gossip claim about a member (SWIM section 4.1: dissemination rides on probe traffic).</summary>
internal abstract record MemberUpdate(string Id, ulong Incarnation)
{
    public abstract MemberState State { get; }

    /// <summary>The member's own signed alive record.</summary>
    public sealed record Alive(AliveRecord Record) : MemberUpdate(Record.Id, Record.Incarnation)
    {
        public override MemberState State => MemberState.Alive;
    }

    /// <summary><paramref name="From"/> failed to reach the member, directly and indirectly.</summary>
    public sealed record Suspect(string Id, ulong Incarnation, string From) : MemberUpdate(Id, Incarnation)
    {
        public override MemberState State => MemberState.Suspect;
    }

    /// <summary><paramref name="From"/> saw the member's suspicion run out unrefuted.</summary>
    public sealed record Dead(string Id, ulong Incarnation, string From) : MemberUpdate(Id, Incarnation)
    {
        public override MemberState State => MemberState.Dead;
    }

    /// <summary>The member's own signed farewell.</summary>
    public sealed record Left(LeftRecord Record) : MemberUpdate(Record.Id, Record.Incarnation)
    {
        public override MemberState State => MemberState.Left;
    }
}
