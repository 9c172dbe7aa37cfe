using System.Text;
using Google.Protobuf;
using Grpc.Core;
using KvStore.Protocol.V1;

namespace KvStore.Server.Tests;

/// <summary>The public API as seen by a client written only from kvstore.proto.</summary>
public sealed class ProtoClientTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private Protocol.V1.KvStore.KvStoreClient Client => fixture.Client;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static ByteString B(string s) => ByteString.CopyFromUtf8(s);

    private static string UniqueKey(string prefix) => $"{prefix}-{Guid.NewGuid():N}";

    [Fact]
    public async Task Put_get_overwrite_with_context_and_delete()
    {
        var key = B(UniqueKey("reg"));
        var put = await Client.PutAsync(new PutRequest { Key = key, Value = B("v1") }, cancellationToken: Ct);
        Assert.False(put.Context.IsEmpty);

        var read = await Client.GetAsync(new GetRequest { Key = key }, cancellationToken: Ct);
        Assert.True(read.Found);
        Assert.Equal("v1", read.Value.ToStringUtf8());

        await Client.PutAsync(new PutRequest { Key = key, Value = B("v2"), Context = read.Context, Consistency = Consistency.Quorum }, cancellationToken: Ct);
        var reread = await Client.GetAsync(new GetRequest { Key = key, Consistency = Consistency.One }, cancellationToken: Ct);
        Assert.Equal("v2", reread.Value.ToStringUtf8());

        await Client.DeleteAsync(new DeleteRequest { Key = key, Context = reread.Context }, cancellationToken: Ct);
        var gone = await Client.GetAsync(new GetRequest { Key = key }, cancellationToken: Ct);
        Assert.False(gone.Found);
        Assert.True(gone.Value.IsEmpty);
    }

    [Fact]
    public async Task Set_add_remove_with_context_and_re_add()
    {
        var key = B(UniqueKey("set"));
        await Client.SetAddAsync(new SetAddRequest { Key = key, Elements = { B("a"), B("b"), B("c") } }, cancellationToken: Ct);
        var members = await Client.SetMembersAsync(new SetMembersRequest { Key = key }, cancellationToken: Ct);
        Assert.True(members.Found);
        Assert.Equal(["a", "b", "c"], members.Members.Select(m => m.ToStringUtf8()));

        await Client.SetRemoveAsync(new SetRemoveRequest { Key = key, Elements = { B("b") }, Context = members.Context }, cancellationToken: Ct);
        var afterRemove = await Client.SetMembersAsync(new SetMembersRequest { Key = key }, cancellationToken: Ct);
        Assert.Equal(["a", "c"], afterRemove.Members.Select(m => m.ToStringUtf8()));

        await Client.SetAddAsync(new SetAddRequest { Key = key, Elements = { B("b") } }, cancellationToken: Ct);
        var afterReAdd = await Client.SetMembersAsync(new SetMembersRequest { Key = key }, cancellationToken: Ct);
        Assert.Equal(["a", "b", "c"], afterReAdd.Members.Select(m => m.ToStringUtf8()));
    }

    [Fact]
    public async Task A_remove_with_an_old_context_spares_an_addition_it_did_not_see()
    {
        var key = B(UniqueKey("set"));
        await Client.SetAddAsync(new SetAddRequest { Key = key, Elements = { B("x") } }, cancellationToken: Ct);
        var read = await Client.SetMembersAsync(new SetMembersRequest { Key = key }, cancellationToken: Ct);
        await Client.SetAddAsync(new SetAddRequest { Key = key, Elements = { B("x") } }, cancellationToken: Ct);
        await Client.SetRemoveAsync(new SetRemoveRequest { Key = key, Elements = { B("x") }, Context = read.Context }, cancellationToken: Ct);
        var after = await Client.SetMembersAsync(new SetMembersRequest { Key = key }, cancellationToken: Ct);
        Assert.Equal(["x"], after.Members.Select(m => m.ToStringUtf8()));
    }

    [Fact]
    public async Task Missing_keys_read_as_not_found()
    {
        Assert.False((await Client.GetAsync(new GetRequest { Key = B(UniqueKey("none")) }, cancellationToken: Ct)).Found);
        Assert.False((await Client.SetMembersAsync(new SetMembersRequest { Key = B(UniqueKey("none")) }, cancellationToken: Ct)).Found);
        await Client.DeleteAsync(new DeleteRequest { Key = B(UniqueKey("none")) }, cancellationToken: Ct);
    }

    [Fact]
    public async Task An_empty_key_is_invalid_argument()
    {
        var e = await Assert.ThrowsAsync<RpcException>(() => Client.PutAsync(new PutRequest { Value = B("v") }, cancellationToken: Ct).ResponseAsync);
        Assert.Equal(StatusCode.InvalidArgument, e.StatusCode);
        Assert.Contains("key is empty", e.Status.Detail, StringComparison.Ordinal);
        var g = await Assert.ThrowsAsync<RpcException>(() => Client.GetAsync(new GetRequest(), cancellationToken: Ct).ResponseAsync);
        Assert.Equal(StatusCode.InvalidArgument, g.StatusCode);
    }

    [Fact]
    public async Task A_key_over_1_KiB_is_invalid_argument()
    {
        var e = await Assert.ThrowsAsync<RpcException>(() =>
            Client.PutAsync(new PutRequest { Key = ByteString.CopyFrom(new byte[1025]), Value = B("v") }, cancellationToken: Ct).ResponseAsync);
        Assert.Equal(StatusCode.InvalidArgument, e.StatusCode);
        Assert.Contains("1025 bytes", e.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_8_MiB_value_is_refused_and_nothing_is_stored()
    {
        var key = B(UniqueKey("big"));
        var e = await Assert.ThrowsAsync<RpcException>(() =>
            Client.PutAsync(new PutRequest { Key = key, Value = ByteString.CopyFrom(new byte[8 * 1024 * 1024]) }, cancellationToken: Ct).ResponseAsync);
        Assert.Contains(e.StatusCode, new[] { StatusCode.InvalidArgument, StatusCode.ResourceExhausted });
        Assert.False((await Client.GetAsync(new GetRequest { Key = key }, cancellationToken: Ct)).Found);
    }

    [Fact]
    public async Task A_value_just_over_the_value_limit_is_invalid_argument()
    {
        var key = B(UniqueKey("big"));
        var e = await Assert.ThrowsAsync<RpcException>(() =>
            Client.PutAsync(new PutRequest { Key = key, Value = ByteString.CopyFrom(new byte[1024 * 1024 + 1]) }, cancellationToken: Ct).ResponseAsync);
        Assert.Equal(StatusCode.InvalidArgument, e.StatusCode);
        Assert.Contains("MaxValueBytes", e.Status.Detail, StringComparison.Ordinal);
        await Client.PutAsync(new PutRequest { Key = key, Value = ByteString.CopyFrom(new byte[1024 * 1024]) }, cancellationToken: Ct);
    }

    [Fact]
    public async Task A_set_add_of_no_elements_is_invalid_argument()
    {
        var e = await Assert.ThrowsAsync<RpcException>(() =>
            Client.SetAddAsync(new SetAddRequest { Key = B(UniqueKey("set")) }, cancellationToken: Ct).ResponseAsync);
        Assert.Equal(StatusCode.InvalidArgument, e.StatusCode);
        var r = await Assert.ThrowsAsync<RpcException>(() =>
            Client.SetRemoveAsync(new SetRemoveRequest { Key = B(UniqueKey("set")) }, cancellationToken: Ct).ResponseAsync);
        Assert.Equal(StatusCode.InvalidArgument, r.StatusCode);
    }

    [Fact]
    public async Task A_set_add_on_a_register_key_is_failed_precondition_and_the_register_is_unchanged()
    {
        var key = B(UniqueKey("reg"));
        await Client.PutAsync(new PutRequest { Key = key, Value = B("keep") }, cancellationToken: Ct);
        var before = await Client.GetAsync(new GetRequest { Key = key }, cancellationToken: Ct);

        var e = await Assert.ThrowsAsync<RpcException>(() =>
            Client.SetAddAsync(new SetAddRequest { Key = key, Elements = { B("x") } }, cancellationToken: Ct).ResponseAsync);
        Assert.Equal(StatusCode.FailedPrecondition, e.StatusCode);
        Assert.Contains("register", e.Status.Detail, StringComparison.Ordinal);

        var after = await Client.GetAsync(new GetRequest { Key = key }, cancellationToken: Ct);
        Assert.Equal("keep", after.Value.ToStringUtf8());
        Assert.Equal(before.Context, after.Context);
    }

    [Fact]
    public async Task Register_operations_on_a_set_key_are_failed_precondition()
    {
        var key = B(UniqueKey("set"));
        await Client.SetAddAsync(new SetAddRequest { Key = key, Elements = { B("x") } }, cancellationToken: Ct);
        var put = await Assert.ThrowsAsync<RpcException>(() => Client.PutAsync(new PutRequest { Key = key, Value = B("v") }, cancellationToken: Ct).ResponseAsync);
        var get = await Assert.ThrowsAsync<RpcException>(() => Client.GetAsync(new GetRequest { Key = key }, cancellationToken: Ct).ResponseAsync);
        Assert.Equal(StatusCode.FailedPrecondition, put.StatusCode);
        Assert.Equal(StatusCode.FailedPrecondition, get.StatusCode);
    }

    [Fact]
    public async Task A_malformed_context_is_invalid_argument_and_changes_nothing()
    {
        var key = B(UniqueKey("reg"));
        await Client.PutAsync(new PutRequest { Key = key, Value = B("v1") }, cancellationToken: Ct);
        var e = await Assert.ThrowsAsync<RpcException>(() =>
            Client.PutAsync(new PutRequest { Key = key, Value = B("v2"), Context = B("not a context") }, cancellationToken: Ct).ResponseAsync);
        Assert.Equal(StatusCode.InvalidArgument, e.StatusCode);
        Assert.Contains("context is malformed", e.Status.Detail, StringComparison.Ordinal);
        Assert.Equal("v1", (await Client.GetAsync(new GetRequest { Key = key }, cancellationToken: Ct)).Value.ToStringUtf8());
    }

    [Fact]
    public async Task An_unknown_consistency_level_is_invalid_argument()
    {
        var e = await Assert.ThrowsAsync<RpcException>(() =>
            Client.GetAsync(new GetRequest { Key = B("k"), Consistency = (Consistency)42 }, cancellationToken: Ct).ResponseAsync);
        Assert.Equal(StatusCode.InvalidArgument, e.StatusCode);
    }

    [Fact]
    public async Task Five_hundred_concurrent_puts_are_all_readable_afterwards()
    {
        var prefix = UniqueKey("bulk");
        await Task.WhenAll(Enumerable.Range(0, 500).Select(i =>
            Client.PutAsync(new PutRequest { Key = B($"{prefix}/{i}"), Value = B($"value-{i}") }, cancellationToken: Ct).ResponseAsync));
        for (var i = 0; i < 500; i++)
        {
            var r = await Client.GetAsync(new GetRequest { Key = B($"{prefix}/{i}") }, cancellationToken: Ct);
            Assert.True(r.Found, $"key {i} missing");
            Assert.Equal($"value-{i}", r.Value.ToStringUtf8());
        }
    }

    [Fact]
    public async Task Sixty_four_concurrent_set_adds_to_one_key_all_land()
    {
        var key = B(UniqueKey("set64"));
        await Task.WhenAll(Enumerable.Range(0, 64).Select(i =>
            Client.SetAddAsync(new SetAddRequest { Key = key, Elements = { B($"e{i:D2}") } }, cancellationToken: Ct).ResponseAsync));
        var members = await Client.SetMembersAsync(new SetMembersRequest { Key = key }, cancellationToken: Ct);
        Assert.Equal(Enumerable.Range(0, 64).Select(i => $"e{i:D2}"), members.Members.Select(m => m.ToStringUtf8()));
    }

    [Fact]
    public async Task Values_are_arbitrary_bytes()
    {
        var key = ByteString.CopyFrom(0, 255, 10);
        var value = ByteString.CopyFrom(Enumerable.Range(0, 256).Select(i => (byte)i).ToArray());
        await Client.PutAsync(new PutRequest { Key = key, Value = value }, cancellationToken: Ct);
        Assert.Equal(value, (await Client.GetAsync(new GetRequest { Key = key }, cancellationToken: Ct)).Value);
    }
}
