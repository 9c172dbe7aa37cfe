using KvStore.Cluster.Membership.Messages;
using KvStore.Cluster.Security;
using KvStore.Core.Membership;
using KvStore.Core.Serialization;

namespace KvStore.Cluster.Tests.Membership;

public sealed class SwimCodecTests
{
    private static readonly NodeIdentity Identity = NodeIdentity.Create();
    private static readonly AliveRecord Record = AliveRecord.Create(Identity, "n1", "10.0.0.1:7070", "10.0.0.1:7071", 3);

    [Fact]
    public void Every_message_and_update_kind_round_trips()
    {
        var updates = new MemberUpdate[]
        {
            new MemberUpdate.Alive(Record),
            new MemberUpdate.Suspect("n2", 4, "n1"),
            new MemberUpdate.Dead("n3", 5, "n1"),
            new MemberUpdate.Left(LeftRecord.Create(Identity, "n1", 6)),
        };
        var messages = new SwimMessage[]
        {
            new SwimMessage.Ping(7, "n2", Record), new SwimMessage.Ack(8), new SwimMessage.PingReq(9, "n3", "10.0.0.3:7070", Record),
            new SwimMessage.Nack(10), new SwimMessage.Gossip(),
        };
        foreach (var message in messages)
        {
            var decoded = SwimCodec.DecodePacket(SwimCodec.Assemble(SwimCodec.EncodeMessage(message), updates.Select(SwimCodec.EncodeUpdate).ToList()));
            Assert.Equal(message.GetType(), decoded.Message.GetType());
            Assert.Equal(updates.Length, decoded.Updates.Count);
            Assert.True(((MemberUpdate.Alive)decoded.Updates[0]).Record.SameAs(Record));
            Assert.Equal(updates[1], decoded.Updates[1]);
            Assert.Equal(updates[2], decoded.Updates[2]);
            Assert.True(((MemberUpdate.Left)decoded.Updates[3]).Record.VerifyWith(Identity.PublicKey));
        }
    }

    [Fact]
    public void A_full_state_round_trips_and_signatures_still_verify()
    {
        var state = new FullState(true, [
            new MemberSnapshot(Record, MemberState.Suspect, 4, null),
            new MemberSnapshot(Record with { Id = "n1" }, MemberState.Left, 5, LeftRecord.Create(Identity, "n1", 5)),
        ]);
        var decoded = SwimCodec.DecodeFullState(SwimCodec.EncodeFullState(state, reply: false), reply: false, maxMembers: 10);
        Assert.True(decoded.Join);
        Assert.Equal(MemberState.Suspect, decoded.Members[0].State);
        Assert.Equal(4UL, decoded.Members[0].Incarnation);
        Assert.True(decoded.Members[0].Record.VerifyWith(Identity.PublicKey));
        Assert.True(decoded.Members[1].Left!.VerifyWith(Identity.PublicKey));
        Assert.Throws<MalformedDataException>(() => SwimCodec.DecodeFullState(SwimCodec.EncodeFullState(state, reply: false), reply: true, 10));
        Assert.Throws<MalformedDataException>(() => SwimCodec.DecodeFullState(SwimCodec.EncodeFullState(state, reply: false), reply: false, 1));
    }

    [Fact]
    public void Truncated_extended_or_unknown_input_is_malformed()
    {
        var good = SwimCodec.Assemble(SwimCodec.EncodeMessage(new SwimMessage.Ping(1, "n2", Record)), [SwimCodec.EncodeUpdate(new MemberUpdate.Suspect("n2", 1, "n1"))]);
        for (var n = 0; n < good.Length; n++)
        {
            Assert.Throws<MalformedDataException>(() => SwimCodec.DecodePacket(good.AsSpan(0, n)));
        }

        Assert.Throws<MalformedDataException>(() => SwimCodec.DecodePacket([.. good, 0]));
        Assert.Throws<MalformedDataException>(() => SwimCodec.DecodePacket([2, 1]));
        Assert.Throws<MalformedDataException>(() => SwimCodec.DecodePacket([1, 99, 0]));
        Assert.Throws<MalformedDataException>(() => SwimCodec.DecodePacket([1, 5, 1, 2, 9, 0]));
    }

    [Fact]
    public void A_record_with_any_field_changed_no_longer_verifies()
    {
        Assert.True(Record.VerifyWith(Identity.PublicKey));
        Assert.False((Record with { Incarnation = 4 }).VerifyWith(Identity.PublicKey));
        Assert.False((Record with { Address = "10.6.6.6:7070" }).VerifyWith(Identity.PublicKey));
        Assert.False((Record with { Id = "n9" }).VerifyWith(Identity.PublicKey));
    }
}
