using KvStore.Core.Causality;
using KvStore.Core.Clock;
using KvStore.Core.Crdt;

namespace KvStore.Core.Serialization;

/// <summary>
/// The canonical, versioned binary encoding of objects and causal contexts.
/// </summary>
/// <remarks>
/// <para>Equal states encode to equal bytes (vectors sorted by actor, siblings by dot, members by
/// element bytes, minimal varints), and the decoder accepts only that canonical form, because
/// anti-entropy compares replicas by hashing these bytes.</para>
/// <code>
/// object   = version:u8(=1) type:u8 clock body
/// clock    = n:varint { node:str epoch:u64le counter:varint }   strictly ascending actors, counter ≥ 1
/// dot      = actor-index:varint counter:varint                   index into the object's clock, 1 ≤ counter ≤ clock[actor]
/// hlc      = wall-ms:varint logical:varint
/// register = n:varint { dot hlc value:bytes }                    strictly ascending dots
/// set      = n:varint { element:bytes m:varint(≥1) dot{m} }     strictly ascending elements and dots
/// context  = version:u8(=1) clock hlc
/// </code>
/// A dot names its actor by position in the clock: shorter, and a dot its own object has not seen
/// cannot be expressed.
/// </remarks>
public static class ObjectCodec
{
    public const byte ObjectFormatVersion = 1;
    public const byte ContextFormatVersion = 1;

    public static byte[] Encode(KvObject obj)
    {
        var w = new ByteWriter();
        w.WriteByte(ObjectFormatVersion);
        w.WriteByte((byte)obj.Type);
        var clock = obj.Clock;
        WriteClock(w, clock);
        if (obj.Register is { } r)
        {
            w.WriteVarint((ulong)r.Entries.Length);
            foreach (var e in r.Entries)
            {
                WriteDot(w, clock, e.Dot);
                WriteHlc(w, e.Timestamp);
                w.WriteBytes(e.Value.Span);
            }
        }
        else
        {
            var set = obj.Set!;
            w.WriteVarint((ulong)set.Count);
            foreach (var m in set.Members)
            {
                w.WriteBytes(m.Element);
                w.WriteVarint((ulong)m.Dots.Length);
                foreach (var d in m.Dots)
                {
                    WriteDot(w, clock, d);
                }
            }
        }

        return w.ToArray();
    }

    /// <exception cref="MalformedDataException">The bytes are not a canonical encoding within <paramref name="limits"/>.</exception>
    public static KvObject Decode(ReadOnlySpan<byte> data, DecodeLimits? limits = null)
    {
        limits ??= DecodeLimits.Trusted;
        var r = new ByteReader(data);
        var version = r.ReadByte();
        if (version != ObjectFormatVersion)
        {
            throw new MalformedDataException($"object format version {version} is not supported (this build reads {ObjectFormatVersion})");
        }

        var type = r.ReadByte();
        var clock = ReadClock(ref r, limits);
        KvObject result;
        switch ((ObjectType)type)
        {
            case ObjectType.Register:
            {
                var n = r.ReadLength(limits.MaxItems, "sibling count");
                var entries = new RegisterEntry[n];
                for (var i = 0; i < n; i++)
                {
                    var dot = ReadDot(ref r, clock);
                    var ts = ReadHlc(ref r);
                    var value = r.ReadBytes(limits.MaxBytes, "value").ToArray();
                    entries[i] = new RegisterEntry(dot, ts, value);
                    if (i > 0 && entries[i - 1].Dot.CompareTo(dot) >= 0)
                    {
                        throw new MalformedDataException("register siblings are not in ascending dot order");
                    }
                }

                result = KvObject.Of(new LwwRegister(clock, entries));
                break;
            }

            case ObjectType.Set:
            {
                var n = r.ReadLength(limits.MaxItems, "member count");
                var members = new OrSet.Member[n];
                for (var i = 0; i < n; i++)
                {
                    var element = r.ReadBytes(limits.MaxBytes, "element").ToArray();
                    if (i > 0 && ByteOrder.Instance.Compare(members[i - 1].Element, element) >= 0)
                    {
                        throw new MalformedDataException("set members are not in ascending order");
                    }

                    var m = r.ReadLength(limits.MaxItems, "dot count");
                    if (m == 0)
                    {
                        throw new MalformedDataException("set member has no dots");
                    }

                    var dots = new Dot[m];
                    for (var k = 0; k < m; k++)
                    {
                        dots[k] = ReadDot(ref r, clock);
                        if (k > 0 && dots[k - 1].CompareTo(dots[k]) >= 0)
                        {
                            throw new MalformedDataException("member dots are not in ascending order");
                        }
                    }

                    members[i] = new OrSet.Member(element, dots);
                }

                result = KvObject.Of(new OrSet(clock, members));
                break;
            }

            default:
                throw new MalformedDataException($"unknown object type {type}");
        }

        r.ExpectEnd();
        return result;
    }

    public static byte[] EncodeContext(CausalContext context)
    {
        var w = new ByteWriter(64);
        w.WriteByte(ContextFormatVersion);
        WriteClock(w, context.Clock);
        WriteHlc(w, context.Timestamp);
        return w.ToArray();
    }

    /// <exception cref="MalformedDataException">The bytes are not a context this build wrote, within <paramref name="maxWidth"/> actors.</exception>
    public static CausalContext DecodeContext(ReadOnlySpan<byte> data, int maxWidth)
    {
        var r = new ByteReader(data);
        var version = r.ReadByte();
        if (version != ContextFormatVersion)
        {
            throw new MalformedDataException($"context format version {version} is not supported (this build reads {ContextFormatVersion})");
        }

        var clock = ReadClock(ref r, new DecodeLimits(maxWidth, 0, 0));
        var ts = ReadHlc(ref r);
        r.ExpectEnd();
        return new CausalContext(clock, ts);
    }

    private static void WriteClock(ByteWriter w, VersionVector clock)
    {
        w.WriteVarint((ulong)clock.Width);
        foreach (var e in clock.Entries)
        {
            w.WriteString(e.Actor.Node);
            w.WriteUInt64(e.Actor.Epoch);
            w.WriteVarint(e.Counter);
        }
    }

    private static VersionVector ReadClock(ref ByteReader r, DecodeLimits limits)
    {
        var n = r.ReadLength(limits.MaxWidth, "version vector width");
        var entries = new VersionVector.Entry[n];
        for (var i = 0; i < n; i++)
        {
            var node = r.ReadString(ActorId.MaxNodeIdBytes, "node id");
            if (!ActorId.IsValidNodeId(node))
            {
                throw new MalformedDataException("invalid node id in version vector");
            }

            var actor = new ActorId(node, r.ReadUInt64());
            var counter = r.ReadVarint();
            if (counter == 0)
            {
                throw new MalformedDataException("version vector holds a zero counter");
            }

            if (i > 0 && entries[i - 1].Actor.CompareTo(actor) >= 0)
            {
                throw new MalformedDataException("version vector actors are not in ascending order");
            }

            entries[i] = new VersionVector.Entry(actor, counter);
        }

        return VersionVector.FromSorted(entries);
    }

    private static void WriteDot(ByteWriter w, VersionVector clock, Dot dot)
    {
        var index = clock.IndexOf(dot.Actor);
        if (index < 0 || clock.Entries[index].Counter < dot.Counter)
        {
            throw new InvalidOperationException($"dot {dot} is not covered by its object's clock");
        }

        w.WriteVarint((ulong)index);
        w.WriteVarint(dot.Counter);
    }

    private static Dot ReadDot(ref ByteReader r, VersionVector clock)
    {
        if (clock.Width == 0)
        {
            throw new MalformedDataException("dot in an object with an empty clock");
        }

        var index = r.ReadLength(clock.Width - 1, "dot actor index");

        var entry = clock.Entries[index];
        var counter = r.ReadVarint();
        if (counter == 0 || counter > entry.Counter)
        {
            throw new MalformedDataException($"dot counter {counter} is outside 1..{entry.Counter}");
        }

        return new Dot(entry.Actor, counter);
    }

    private static void WriteHlc(ByteWriter w, HlcTimestamp ts)
    {
        w.WriteVarint((ulong)ts.WallMillis);
        w.WriteVarint(ts.Logical);
    }

    private static HlcTimestamp ReadHlc(ref ByteReader r)
    {
        var wall = r.ReadVarint();
        var logical = r.ReadVarint();
        if (wall > long.MaxValue || logical > uint.MaxValue)
        {
            throw new MalformedDataException("timestamp out of range");
        }

        return new HlcTimestamp((long)wall, (uint)logical);
    }
}
