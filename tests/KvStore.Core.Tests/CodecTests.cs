using System.Text;
using KvStore.Core.Causality;
using KvStore.Core.Clock;
using KvStore.Core.Crdt;
using KvStore.Core.Serialization;

namespace KvStore.Core.Tests;

public sealed class CodecTests
{
    private static readonly ActorId A = new("node-a", 0xA);
    private static readonly ActorId B = new("node-b", 0xB);

    private static KvObject SampleSet() =>
        KvObject.Of(OrSet.Empty.Add(B, [Encoding.UTF8.GetBytes("y")]).Add(A, [Encoding.UTF8.GetBytes("x"), [0xFF, 0x00]]));

    private static KvObject SampleRegister() =>
        KvObject.Of(LwwRegister.Empty.Assign(A, new HlcTimestamp(1_700_000_000_000, 3), Encoding.UTF8.GetBytes("hello"), null)
            .Merge(LwwRegister.Empty.Assign(B, new HlcTimestamp(1_700_000_000_001, 0), [], null)));

    [Fact]
    public void Objects_round_trip_to_equal_states_and_identical_bytes()
    {
        foreach (var obj in new[] { SampleSet(), SampleRegister() })
        {
            var bytes = ObjectCodec.Encode(obj);
            var back = ObjectCodec.Decode(bytes);
            Assert.Equal(obj, back);
            Assert.Equal(bytes, ObjectCodec.Encode(back));
        }
    }

    [Fact]
    public void The_same_state_reached_in_different_orders_encodes_identically()
    {
        var x = OrSet.Empty.Add(A, [Encoding.UTF8.GetBytes("x")]);
        var y = OrSet.Empty.Add(B, [Encoding.UTF8.GetBytes("y")]);
        Assert.Equal(ObjectCodec.Encode(KvObject.Of(x.Merge(y))), ObjectCodec.Encode(KvObject.Of(y.Merge(x))));
    }

    [Fact]
    public void The_format_is_pinned_byte_for_byte()
    {
        // A change to these bytes is a change to the on-disk format: bump the version instead.
        var obj = KvObject.Of(LwwRegister.Empty.Assign(new ActorId("n", 1), new HlcTimestamp(5, 1), [0x2A], null));
        Assert.Equal("01 01 01 01 6E 01 00 00 00 00 00 00 00 01 01 00 01 05 01 01 2A".Replace(" ", ""), Convert.ToHexString(ObjectCodec.Encode(obj)));
    }

    [Fact]
    public void Contexts_round_trip()
    {
        var ctx = SampleRegister().Context;
        var back = ObjectCodec.DecodeContext(ObjectCodec.EncodeContext(ctx), maxWidth: 8);
        Assert.Equal(ctx, back);
    }

    [Theory]
    [InlineData("")]
    [InlineData("02")]
    [InlineData("0100")]
    [InlineData("01 01 6E")]
    [InlineData("01 00 00 00 FF")]
    public void Malformed_contexts_are_rejected(string hex) =>
        Assert.Throws<MalformedDataException>(() => ObjectCodec.DecodeContext(Convert.FromHexString(hex.Replace(" ", "")), maxWidth: 8));

    [Fact]
    public void A_context_wider_than_allowed_is_rejected()
    {
        var wide = VersionVector.From(Enumerable.Range(1, 10).Select(i => new VersionVector.Entry(new ActorId($"n{i}", 1), 1)));
        var bytes = ObjectCodec.EncodeContext(new CausalContext(wide, HlcTimestamp.Zero));
        Assert.Throws<MalformedDataException>(() => ObjectCodec.DecodeContext(bytes, maxWidth: 9));
    }

    [Fact]
    public void Truncated_or_extended_objects_are_rejected()
    {
        var bytes = ObjectCodec.Encode(SampleSet());
        for (var n = 0; n < bytes.Length; n++)
        {
            Assert.Throws<MalformedDataException>(() => ObjectCodec.Decode(bytes.AsSpan(0, n)));
        }

        Assert.Throws<MalformedDataException>(() => ObjectCodec.Decode([.. bytes, 0]));
    }

    [Fact]
    public void A_non_canonical_varint_is_rejected()
    {
        // Width 1 written as 0x81 0x00 instead of 0x01.
        Assert.Throws<MalformedDataException>(() => ObjectCodec.DecodeContext(Convert.FromHexString("018100"), maxWidth: 8));
    }
}
