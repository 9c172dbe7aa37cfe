namespace KvStore.Cluster.Membership.Messages;

/// <summary>The probe part of a gossip datagram (SWIM section 3, Lifeguard's nack). Kinds are explicit and append-only.</summary>
internal abstract record SwimMessage
{
    /// <summary>
    /// A direct probe. It carries the sender's own alive record, as memberlist's ping carries its
    /// source node, so that a member that has not yet heard of the sender can still answer it.
    /// </summary>
    public sealed record Ping(uint Seq, string TargetId, AliveRecord Sender) : SwimMessage;

    public sealed record Ack(uint Seq) : SwimMessage;

    /// <summary>A request to probe <paramref name="TargetId"/> on the sender's behalf and relay the ack.</summary>
    public sealed record PingReq(uint Seq, string TargetId, string TargetAddress, AliveRecord Sender) : SwimMessage;

    /// <summary>
    /// Lifeguard: the relay of a ping-req could not reach the target in time. It tells the requester
    /// that the relay itself is alive, so missing nacks point at the requester's own health.
    /// </summary>
    public sealed record Nack(uint Seq) : SwimMessage;

    /// <summary>Gossip only, sent every gossip interval when updates are queued.</summary>
    public sealed record Gossip : SwimMessage;
}

/// <summary>A decoded datagram: the probe message and the updates that rode along.</summary>
internal sealed record SwimPacket(SwimMessage Message, IReadOnlyList<MemberUpdate> Updates);

/// <summary>One member in a push-pull exchange: its latest signed alive record and what the sender believes about it.</summary>
internal sealed record MemberSnapshot(AliveRecord Record, KvStore.Core.Membership.MemberState State, ulong Incarnation, LeftRecord? Left);

/// <summary>
/// The whole member table, exchanged in push-pull (memberlist's pushPull): it repairs any update
/// that gossip's bounded retransmission missed, and is how a node joins.
/// </summary>
internal sealed record FullState(bool Join, IReadOnlyList<MemberSnapshot> Members);
