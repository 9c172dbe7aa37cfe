using KvStore.Cluster.Membership.Messages;
using KvStore.Core.Membership;

namespace KvStore.Cluster.Membership;

/// <summary>One row of the engine's member table: the public view plus the evidence behind it.</summary>
internal sealed class MemberEntry(Member member, AliveRecord record, DateTimeOffset since)
{
    /// <summary>What the view shows.</summary>
    public Member Member { get; set; } = member;

    /// <summary>The newest alive record verified for the member; its key is the member's bound key (trust on first use).</summary>
    public AliveRecord Record { get; set; } = record;

    /// <summary>The member's signed farewell, when it left.</summary>
    public LeftRecord? Left { get; set; }

    /// <summary>When the member reached its current state: reaping counts from here.</summary>
    public DateTimeOffset Since { get; set; } = since;

    public Suspicion? Suspicion { get; set; }

    public string Id => Member.Id;

    public MemberState State => Member.State;

    public ulong Incarnation => Member.Incarnation;

    public bool IsAliveOrSuspect => Member.State is MemberState.Alive or MemberState.Suspect;

    public void EndSuspicion()
    {
        Suspicion?.Timer?.Dispose();
        Suspicion = null;
    }
}
