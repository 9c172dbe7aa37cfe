using KvStore.Cluster.Membership.Messages;
using KvStore.Cluster.Security;
using KvStore.Core.Membership;
using KvStore.Core.Serialization;

namespace KvStore.Cluster.Membership;

/// <summary>Receiving and sending datagrams: authentication, decoding, and the checks on who may say what.</summary>
public sealed partial class SwimMembership
{
    private void OnDatagram(string from, ReadOnlyMemory<byte> datagram)
    {
        Counters.Add(DropCounters.Reason.PacketsReceived);
        if (datagram.Length > _options.MaxPacketBytes)
        {
            Counters.Add(DropCounters.Reason.Oversized);
            return;
        }

        Locked(() => HandleDatagram(datagram.Span));
    }

    private void HandleDatagram(ReadOnlySpan<byte> datagram)
    {
        var result = _auth.Open(datagram, out var sender, out var payload);
        if (!CountAuthFailure(result, sender))
        {
            return;
        }

        SwimPacket packet;
        try
        {
            packet = SwimCodec.DecodePacket(payload.Span);
        }
        catch (MalformedDataException e)
        {
            Counters.Add(DropCounters.Reason.Malformed);
            LogDropped(_logger, "malformed", sender, e.Message);
            return;
        }

        // A ping or ping-req introduces its sender with the sender's own signed alive record, so
        // a member that has not yet heard of a newcomer can answer it. The record must be the
        // envelope sender's: nobody introduces someone else.
        var introduction = packet.Message switch
        {
            SwimMessage.Ping p => p.Sender,
            SwimMessage.PingReq r => r.Sender,
            _ => null,
        };
        if (introduction is not null)
        {
            if (introduction.Id != sender)
            {
                Counters.Add(DropCounters.Reason.Malformed);
                LogDropped(_logger, "malformed", sender, "introduces another member");
                return;
            }

            ApplyAlive(introduction);
        }

        if (sender == _local.Id || !_members.TryGetValue(sender, out var from))
        {
            Counters.Add(DropCounters.Reason.UnknownSender);
            LogDropped(_logger, "unknown sender", sender, "not a member");
            return;
        }

        foreach (var update in packet.Updates)
        {
            ApplyUpdate(update, sender);
        }

        switch (packet.Message)
        {
            case SwimMessage.Ping p when p.TargetId != _local.Id:
                // memberlist: a ping meant for whoever had this address before; answering would vouch for the wrong node.
                Counters.Add(DropCounters.Reason.Malformed);
                LogDropped(_logger, "malformed", sender, $"ping for {p.TargetId}");
                break;
            case SwimMessage.Ping p:
                SendPacket(from.Member.Address, new SwimMessage.Ack(p.Seq), NewsFor(from));
                break;
            case SwimMessage.PingReq r:
                RelayProbe(r, from);
                break;
            case SwimMessage.Ack a:
                OnAck(a.Seq);
                break;
            case SwimMessage.Nack n:
                OnNack(n.Seq);
                break;
        }
    }

    /// <returns>True for <see cref="AuthResult.Ok"/>; otherwise counts the refusal.</returns>
    private bool CountAuthFailure(AuthResult result, string sender)
    {
        var reason = result switch
        {
            AuthResult.Ok => (DropCounters.Reason?)null,
            AuthResult.Malformed => DropCounters.Reason.Malformed,
            AuthResult.Unauthenticated => DropCounters.Reason.Unauthenticated,
            AuthResult.Expired => DropCounters.Reason.Expired,
            _ => DropCounters.Reason.Replayed,
        };
        if (reason is { } r)
        {
            Counters.Add(r);
            LogDropped(_logger, result.ToString(), sender, "envelope refused");
            return false;
        }

        return true;
    }

    /// <summary>
    /// When a member this node believes suspect or dead talks to it, the answer carries that belief,
    /// so the member learns of it and refutes even after the gossip about it ran out of retransmits.
    /// </summary>
    private MemberUpdate? NewsFor(MemberEntry member) => member.State switch
    {
        MemberState.Suspect => new MemberUpdate.Suspect(member.Id, member.Incarnation, _local.Id),
        MemberState.Dead => new MemberUpdate.Dead(member.Id, member.Incarnation, _local.Id),
        _ => null,
    };

    /// <summary>
    /// Queues one datagram: the message, then <paramref name="news"/> if any, then as many queued
    /// gossip updates as fit under MaxPacketBytes, sealed under the primary cluster key.
    /// </summary>
    private void SendPacket(string address, SwimMessage message, MemberUpdate? news = null)
    {
        var header = SwimCodec.EncodeMessage(message);
        var updates = new List<byte[]>();
        var budget = _packetBudget - header.Length - SwimCodec.CountReserve;
        if (news is not null)
        {
            var encoded = SwimCodec.EncodeUpdate(news);
            updates.Add(encoded);
            budget -= SwimCodec.UpdateCost(encoded);
        }

        updates.AddRange(TakeBroadcasts(budget));
        _outbox.Add((address, _auth.Seal(_local.Id, SwimCodec.Assemble(header, updates))));
    }

    private List<byte[]> TakeBroadcasts(int budget) =>
        _broadcasts.Take(
            budget,
            SwimTiming.RetransmitLimit(_options.RetransmitMultiplier, _members.Count),
            SwimCodec.UpdateCost,
            SwimCodec.MaxUpdates - 1);
}
