namespace KvStore.Client.Tests;

public sealed class KvContextTests
{
    [Fact]
    public void Base64_round_trips_every_byte()
    {
        var bytes = Enumerable.Range(0, 256).Select(i => (byte)i).ToArray();
        var context = KvContext.FromBytes(bytes);

        var text = context.ToBase64();
        var back = KvContext.FromBase64(text);

        Assert.Equal(Convert.ToBase64String(bytes), text);
        Assert.Equal(context, back);
        Assert.True(context == back);
        Assert.Equal(context.GetHashCode(), back.GetHashCode());
        Assert.Equal(bytes, back.Memory.ToArray());
        Assert.False(back.IsEmpty);
    }

    [Fact]
    public void Empty_base64_is_the_empty_context()
    {
        var context = KvContext.FromBase64("");

        Assert.True(context.IsEmpty);
        Assert.Equal(KvContext.Empty, context);
        Assert.Equal("", context.ToBase64());
    }

    [Fact]
    public void Contexts_with_different_bytes_differ()
    {
        var a = KvContext.FromBytes([1, 2, 3]);
        var b = KvContext.FromBytes([1, 2, 4]);

        Assert.NotEqual(a, b);
        Assert.True(a != b);
        Assert.False(a.Equals(null));
    }

    [Fact]
    public void FromBytes_copies_so_the_caller_cannot_change_the_context()
    {
        byte[] bytes = [1, 2, 3];
        var context = KvContext.FromBytes(bytes);

        bytes[0] = 9;

        Assert.Equal([1, 2, 3], context.Memory.ToArray());
    }

    [Theory]
    [InlineData("not base64!")]
    [InlineData("AAA")]
    public void Bad_base64_is_a_FormatException(string text)
    {
        Assert.Throws<FormatException>(() => KvContext.FromBase64(text));
    }
}
