using KvStore.Core.Membership;
using KvStore.Core.Serialization;

namespace KvStore.Cluster.Membership.Messages;

/// <summary>
/// The versioned binary form of gossip datagrams and push-pull states, inside the authenticated
/// envelope. A datagram is <c>version | kind | message fields | update count | (length | update)*</c>;
/// each update is length-prefixed so a sender can fill a datagram up to its size limit without
/// re-encoding. Every length is bounded on decode, so a hostile but correctly keyed sender cannot
/// make a node allocate without limit. Kind values are explicit and append-only.
/// </summary>
internal static class SwimCodec
{
    public const byte FormatVersion = 1;

    /// <summary>Bytes reserved for the update count: at most <see cref="MaxUpdates"/>, which fits two varint bytes.</summary>
    public const int CountReserve = 2;

    public const int MaxUpdates = 4096;
    private const int MaxNameBytes = 255;
    private const int MaxKeyBytes = 256;
    private const int MaxSignatureBytes = 128;

    private enum Kind : byte
    {
        Ping = 1,
        Ack = 2,
        PingReq = 3,
        Nack = 4,
        Gossip = 5,
        PushPullRequest = 16,
        PushPullReply = 17,
    }

    public static byte[] EncodeMessage(SwimMessage message)
    {
        var w = new ByteWriter(64);
        w.WriteByte(FormatVersion);
        switch (message)
        {
            case SwimMessage.Ping p:
                w.WriteByte((byte)Kind.Ping);
                w.WriteVarint(p.Seq);
                w.WriteString(p.TargetId);
                WriteAlive(w, p.Sender);
                break;
            case SwimMessage.Ack a:
                w.WriteByte((byte)Kind.Ack);
                w.WriteVarint(a.Seq);
                break;
            case SwimMessage.PingReq r:
                w.WriteByte((byte)Kind.PingReq);
                w.WriteVarint(r.Seq);
                w.WriteString(r.TargetId);
                w.WriteString(r.TargetAddress);
                WriteAlive(w, r.Sender);
                break;
            case SwimMessage.Nack n:
                w.WriteByte((byte)Kind.Nack);
                w.WriteVarint(n.Seq);
                break;
            case SwimMessage.Gossip:
                w.WriteByte((byte)Kind.Gossip);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(message), message.GetType().Name, "unknown message");
        }

        return w.ToArray();
    }

    public static byte[] EncodeUpdate(MemberUpdate update)
    {
        var w = new ByteWriter(128);
        w.WriteByte((byte)update.State);
        switch (update)
        {
            case MemberUpdate.Alive a:
                WriteAlive(w, a.Record);
                break;
            case MemberUpdate.Suspect s:
                w.WriteString(s.Id);
                w.WriteVarint(s.Incarnation);
                w.WriteString(s.From);
                break;
            case MemberUpdate.Dead d:
                w.WriteString(d.Id);
                w.WriteVarint(d.Incarnation);
                w.WriteString(d.From);
                break;
            case MemberUpdate.Left l:
                WriteLeft(w, l.Record);
                break;
        }

        return w.ToArray();
    }

    /// <summary>Bytes one encoded update takes in a datagram, with its length prefix.</summary>
    public static int UpdateCost(byte[] encodedUpdate) => VarintSize((ulong)encodedUpdate.Length) + encodedUpdate.Length;

    /// <summary>Joins an encoded message and encoded updates into one datagram payload.</summary>
    public static byte[] Assemble(byte[] message, IReadOnlyList<byte[]> updates)
    {
        var w = new ByteWriter(message.Length + CountReserve + updates.Sum(UpdateCost));
        foreach (var b in message)
        {
            w.WriteByte(b);
        }

        w.WriteVarint((ulong)updates.Count);
        foreach (var u in updates)
        {
            w.WriteBytes(u);
        }

        return w.ToArray();
    }

    /// <exception cref="MalformedDataException">Not a datagram this version can read.</exception>
    public static SwimPacket DecodePacket(ReadOnlySpan<byte> payload)
    {
        var r = new ByteReader(payload);
        ExpectVersion(ref r);
        SwimMessage message = (Kind)r.ReadByte() switch
        {
            Kind.Ping => new SwimMessage.Ping(ReadSeq(ref r), r.ReadString(MaxNameBytes, "target id"), ReadAlive(ref r)),
            Kind.Ack => new SwimMessage.Ack(ReadSeq(ref r)),
            Kind.PingReq => new SwimMessage.PingReq(
                ReadSeq(ref r), r.ReadString(MaxNameBytes, "target id"), r.ReadString(MaxNameBytes, "target address"), ReadAlive(ref r)),
            Kind.Nack => new SwimMessage.Nack(ReadSeq(ref r)),
            Kind.Gossip => new SwimMessage.Gossip(),
            var k => throw new MalformedDataException($"unknown gossip message kind {(byte)k}"),
        };

        var count = r.ReadLength(MaxUpdates, "update count");
        var updates = new List<MemberUpdate>(count);
        for (var i = 0; i < count; i++)
        {
            var inner = new ByteReader(r.ReadBytes(MaxNameBytes * 8, "update"));
            updates.Add(ReadUpdate(ref inner));
            inner.ExpectEnd();
        }

        r.ExpectEnd();
        return new SwimPacket(message, updates);
    }

    public static byte[] EncodeFullState(FullState state, bool reply)
    {
        var w = new ByteWriter(256 * Math.Max(1, state.Members.Count));
        w.WriteByte(FormatVersion);
        w.WriteByte((byte)(reply ? Kind.PushPullReply : Kind.PushPullRequest));
        w.WriteByte(state.Join ? (byte)1 : (byte)0);
        w.WriteVarint((ulong)state.Members.Count);
        foreach (var m in state.Members)
        {
            WriteAlive(w, m.Record);
            w.WriteByte((byte)m.State);
            w.WriteVarint(m.Incarnation);
            w.WriteBytes(m.Left?.Signature ?? []);
        }

        return w.ToArray();
    }

    /// <exception cref="MalformedDataException">Not a push-pull state of the expected direction, or more than <paramref name="maxMembers"/> members.</exception>
    public static FullState DecodeFullState(ReadOnlySpan<byte> payload, bool reply, int maxMembers)
    {
        var r = new ByteReader(payload);
        ExpectVersion(ref r);
        var kind = (Kind)r.ReadByte();
        if (kind != (reply ? Kind.PushPullReply : Kind.PushPullRequest))
        {
            throw new MalformedDataException($"expected a push-pull {(reply ? "reply" : "request")}, got kind {(byte)kind}");
        }

        var join = r.ReadByte() switch
        {
            0 => false,
            1 => true,
            var b => throw new MalformedDataException($"join flag is {b}"),
        };
        var count = r.ReadLength(maxMembers, "member count");
        var members = new List<MemberSnapshot>(count);
        for (var i = 0; i < count; i++)
        {
            var record = ReadAlive(ref r);
            var state = ReadState(ref r);
            var incarnation = r.ReadVarint();
            var leftSignature = r.ReadBytes(MaxSignatureBytes, "left signature").ToArray();
            LeftRecord? left = null;
            if (state == MemberState.Left)
            {
                left = new LeftRecord(record.Id, incarnation, leftSignature);
            }
            else if (leftSignature.Length != 0)
            {
                throw new MalformedDataException("a left signature on a member that has not left");
            }

            if (incarnation < record.Incarnation)
            {
                throw new MalformedDataException("a member's state is older than its alive record");
            }

            members.Add(new MemberSnapshot(record, state, incarnation, left));
        }

        r.ExpectEnd();
        return new FullState(join, members);
    }

    private static void ExpectVersion(ref ByteReader r)
    {
        var version = r.ReadByte();
        if (version != FormatVersion)
        {
            throw new MalformedDataException($"gossip format version {version} is not {FormatVersion}");
        }
    }

    private static uint ReadSeq(ref ByteReader r)
    {
        var seq = r.ReadVarint();
        return seq <= uint.MaxValue ? (uint)seq : throw new MalformedDataException("sequence number exceeds 32 bits");
    }

    private static MemberState ReadState(ref ByteReader r) => r.ReadByte() switch
    {
        1 => MemberState.Alive,
        2 => MemberState.Suspect,
        3 => MemberState.Dead,
        4 => MemberState.Left,
        var b => throw new MalformedDataException($"unknown member state {b}"),
    };

    private static MemberUpdate ReadUpdate(ref ByteReader r) => ReadState(ref r) switch
    {
        MemberState.Alive => new MemberUpdate.Alive(ReadAlive(ref r)),
        MemberState.Suspect => new MemberUpdate.Suspect(
            r.ReadString(MaxNameBytes, "member id"), r.ReadVarint(), r.ReadString(MaxNameBytes, "accuser id")),
        MemberState.Dead => new MemberUpdate.Dead(
            r.ReadString(MaxNameBytes, "member id"), r.ReadVarint(), r.ReadString(MaxNameBytes, "accuser id")),
        _ => new MemberUpdate.Left(new LeftRecord(
            r.ReadString(MaxNameBytes, "member id"), r.ReadVarint(), r.ReadBytes(MaxSignatureBytes, "signature").ToArray())),
    };

    private static void WriteAlive(ByteWriter w, AliveRecord a)
    {
        w.WriteString(a.Id);
        w.WriteString(a.Address);
        w.WriteString(a.AdminAddress);
        w.WriteVarint(a.Incarnation);
        w.WriteBytes(a.PublicKey);
        w.WriteBytes(a.Signature);
    }

    private static AliveRecord ReadAlive(ref ByteReader r)
    {
        var id = r.ReadString(MaxNameBytes, "member id");
        if (id.Length == 0)
        {
            throw new MalformedDataException("empty member id");
        }

        return new AliveRecord(
            id,
            r.ReadString(MaxNameBytes, "address"),
            r.ReadString(MaxNameBytes, "admin address"),
            r.ReadVarint(),
            r.ReadBytes(MaxKeyBytes, "public key").ToArray(),
            r.ReadBytes(MaxSignatureBytes, "signature").ToArray());
    }

    private static void WriteLeft(ByteWriter w, LeftRecord l)
    {
        w.WriteString(l.Id);
        w.WriteVarint(l.Incarnation);
        w.WriteBytes(l.Signature);
    }

    private static int VarintSize(ulong v)
    {
        var n = 1;
        while (v >= 0x80)
        {
            v >>= 7;
            n++;
        }

        return n;
    }
}
