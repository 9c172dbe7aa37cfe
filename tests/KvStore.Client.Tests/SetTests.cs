using System.Text;

namespace KvStore.Client.Tests;

/// <summary>Set add, remove and members against a real server.</summary>
public sealed class SetTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private KvClient Client => fixture.Client;

    [Fact]
    public async Task Added_members_come_back_sorted_without_duplicates()
    {
        var key = ServerFixture.NewKey("set");

        var context = await Client.SetAddAsync(key, ["b", "a", "c", "a"], cancellationToken: Ct);
        var set = await Client.GetSetAsync(key, cancellationToken: Ct);

        Assert.False(context.IsEmpty);
        Assert.NotNull(set);
        Assert.Equal(["a", "b", "c"], set.MembersAsStrings);
        Assert.Equal(3, set.Count);
        Assert.False(set.Context.IsEmpty);
    }

    [Fact]
    public async Task Remove_with_context_then_re_add()
    {
        var key = ServerFixture.NewKey("set-remove");
        await Client.SetAddAsync(key, ["a", "b", "c"], cancellationToken: Ct);
        var read = await Client.GetSetAsync(key, cancellationToken: Ct);
        Assert.NotNull(read);

        await Client.SetRemoveAsync(key, ["b"], read.Context, cancellationToken: Ct);
        var afterRemove = await Client.GetSetAsync(key, cancellationToken: Ct);
        await Client.SetAddAsync(key, ["b"], cancellationToken: Ct);
        var afterReAdd = await Client.GetSetAsync(key, cancellationToken: Ct);

        Assert.Equal(["a", "c"], afterRemove?.MembersAsStrings);
        Assert.Equal(["a", "b", "c"], afterReAdd?.MembersAsStrings);
    }

    [Fact]
    public async Task Remove_without_context_removes_what_the_node_holds()
    {
        var key = ServerFixture.NewKey("set-remove-blind");
        await Client.SetAddAsync(key, ["a", "b"], cancellationToken: Ct);

        await Client.SetRemoveAsync(key, ["a"], cancellationToken: Ct);

        Assert.Equal(["b"], (await Client.GetSetAsync(key, cancellationToken: Ct))?.MembersAsStrings);
    }

    [Fact]
    public async Task Removing_every_member_leaves_no_set()
    {
        var key = ServerFixture.NewKey("set-empty");
        await Client.SetAddAsync(key, ["x"], cancellationToken: Ct);
        var read = await Client.GetSetAsync(key, cancellationToken: Ct);
        Assert.NotNull(read);

        await Client.SetRemoveAsync(key, ["x"], read.Context, cancellationToken: Ct);

        Assert.Null(await Client.GetSetAsync(key, cancellationToken: Ct));
    }

    [Fact]
    public async Task Missing_set_returns_null()
    {
        Assert.Null(await Client.GetSetAsync(ServerFixture.NewKey("no-set"), cancellationToken: Ct));
    }

    [Fact]
    public async Task Byte_elements_round_trip_in_byte_order()
    {
        var key = Encoding.UTF8.GetBytes(ServerFixture.NewKey("set-bytes"));
        ReadOnlyMemory<byte>[] elements = [new byte[] { 0xFF }, new byte[] { 0x00, 0x01 }, new byte[] { 0x00 }];

        await Client.SetAddAsync(key, elements, cancellationToken: Ct);
        var set = await Client.GetSetAsync(key, cancellationToken: Ct);

        Assert.NotNull(set);
        Assert.Equal(
            [[0x00], [0x00, 0x01], [0xFF]],
            set.Members.Select(m => m.ToArray()).ToArray());
    }

    [Fact]
    public async Task Delete_removes_a_set_key()
    {
        var key = ServerFixture.NewKey("set-delete");
        await Client.SetAddAsync(key, ["a"], cancellationToken: Ct);

        await Client.DeleteAsync(key, cancellationToken: Ct);

        Assert.Null(await Client.GetSetAsync(key, cancellationToken: Ct));
    }
}
