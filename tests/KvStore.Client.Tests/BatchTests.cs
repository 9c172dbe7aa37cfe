using System.Text;
using Grpc.Core;

namespace KvStore.Client.Tests;

/// <summary>The batch builder and its typed results against a real server.</summary>
public sealed class BatchTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private KvClient Client => fixture.Client;

    [Fact]
    public async Task Every_operation_answers_its_typed_result_in_the_order_added()
    {
        var reg = ServerFixture.NewKey("batch-reg");
        var set = ServerFixture.NewKey("batch-set");
        var gone = ServerFixture.NewKey("batch-gone");
        await Client.PutAsync(gone, "x", cancellationToken: Ct);

        var batch = Client.CreateBatch()
            .Put(reg, "v1")
            .Get(reg)
            .SetAdd(set, ["b", "a"])
            .SetRemove(set, ["b"])
            .GetSet(set)
            .Delete(gone)
            .Get(gone);
        var results = await Client.ExecuteAsync(batch, KvConsistency.One, Ct);

        Assert.Equal(7, batch.Count);
        Assert.Equal(
            [KvOperationKind.Put, KvOperationKind.Get, KvOperationKind.SetAdd, KvOperationKind.SetRemove, KvOperationKind.GetSet, KvOperationKind.Delete, KvOperationKind.Get],
            results.Select(r => r.Operation));
        Assert.All(results, r => Assert.True(r.IsSuccess, r.ToString()));
        Assert.All(results, r => Assert.Equal(StatusCode.OK, r.StatusCode));
        Assert.False(results[0].Context!.IsEmpty);
        Assert.Equal("v1", results[1].Value!.ValueAsString);
        Assert.Equal(results[0].Context, results[1].Value!.Context);
        Assert.NotNull(results[2].Context);
        Assert.NotNull(results[3].Context);
        Assert.Equal(["a"], results[4].Set!.MembersAsStrings);
        Assert.Null(results[5].Context);
        Assert.Null(results[6].Value);
        Assert.Equal("OK", results[0].ToString());
    }

    [Fact]
    public async Task A_context_read_in_one_batch_overwrites_in_the_next()
    {
        var key = ServerFixture.NewKey("batch-ctx");
        await Client.PutAsync(key, "v1", cancellationToken: Ct);
        var read = (await Client.ExecuteAsync(Client.CreateBatch().Get(key), cancellationToken: Ct))[0].EnsureSuccess().Value!;

        var results = await Client.ExecuteAsync(Client.CreateBatch().Put(key, "v2", read.Context).Get(key), cancellationToken: Ct);

        Assert.Equal("v2", results[1].Value?.ValueAsString);
    }

    [Fact]
    public async Task Byte_keys_and_values_round_trip()
    {
        var key = Encoding.UTF8.GetBytes(ServerFixture.NewKey("batch-bytes"));
        byte[] value = [0, 255, 10, 13];
        ReadOnlyMemory<byte>[] elements = [new byte[] { 1 }, new byte[] { 0 }];
        var setKey = Encoding.UTF8.GetBytes(ServerFixture.NewKey("batch-byteset"));

        var results = await Client.ExecuteAsync(
            new KvBatch().Put(key, value).Get(key).SetAdd(setKey, elements).GetSet(setKey),
            cancellationToken: Ct);

        Assert.Equal(value, results[1].Value!.Value.ToArray());
        Assert.Equal([new byte[] { 0 }, new byte[] { 1 }], results[3].Set!.Members.Select(m => m.ToArray()));
    }

    [Fact]
    public async Task A_failed_operation_is_a_result_and_EnsureSuccess_throws_what_the_single_call_would()
    {
        var register = ServerFixture.NewKey("batch-register");
        var ok = ServerFixture.NewKey("batch-ok");
        await Client.PutAsync(register, "v", cancellationToken: Ct);

        var results = await Client.ExecuteAsync(Client.CreateBatch().Get("").SetAdd(register, ["a"]).Put(ok, "v"), cancellationToken: Ct);

        var single = await Assert.ThrowsAsync<KvException>(() => Client.GetAsync("", cancellationToken: Ct));
        Assert.Equal(StatusCode.InvalidArgument, results[0].StatusCode);
        Assert.False(results[0].IsSuccess);
        Assert.Null(results[0].Value);
        Assert.Equal(single.Detail, results[0].Detail);
        var thrown = Assert.Throws<KvException>(() => results[0].EnsureSuccess());
        Assert.Equal(single.Message, thrown.Message);
        Assert.Equal(single.Message, results[0].ToString());
        Assert.Equal(StatusCode.FailedPrecondition, results[1].StatusCode);
        Assert.True(results[2].IsSuccess);
        Assert.Equal("v", (await Client.GetAsync(ok, cancellationToken: Ct))?.ValueAsString);
    }

    [Fact]
    public async Task An_empty_batch_throws_invalid_argument()
    {
        var e = await Assert.ThrowsAsync<KvException>(() => Client.ExecuteAsync(Client.CreateBatch(), cancellationToken: Ct));

        Assert.Equal(StatusCode.InvalidArgument, e.StatusCode);
    }

    [Fact]
    public async Task A_batch_over_the_servers_limit_throws_invalid_argument()
    {
        var batch = Client.CreateBatch();
        for (var i = 0; i < 1001; i++)
        {
            batch.Get($"k{i}");
        }

        var e = await Assert.ThrowsAsync<KvException>(() => Client.ExecuteAsync(batch, cancellationToken: Ct));

        Assert.Equal(StatusCode.InvalidArgument, e.StatusCode);
        Assert.Contains("MaxBatchOperations", e.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Operations_on_one_key_apply_in_the_order_added()
    {
        var key = ServerFixture.NewKey("batch-order");
        var set = ServerFixture.NewKey("batch-order-set");

        var results = await Client.ExecuteAsync(
            Client.CreateBatch().Put(key, "a").SetAdd(set, ["x"]).Put(key, "b").SetRemove(set, ["x"]).Get(key).GetSet(set),
            cancellationToken: Ct);

        Assert.Equal("b", results[4].Value?.ValueAsString);
        Assert.True(results[5].IsSuccess);
        Assert.Null(results[5].Set);
    }

    [Fact]
    public async Task Null_arguments_are_refused_before_anything_is_sent()
    {
        var batch = Client.CreateBatch();

        Assert.Throws<ArgumentNullException>(() => batch.Get((string)null!));
        Assert.Throws<ArgumentNullException>(() => batch.SetAdd("k", (IEnumerable<string>)null!));
        await Assert.ThrowsAsync<ArgumentNullException>(() => Client.ExecuteAsync(null!, cancellationToken: Ct));
        Assert.Equal(0, batch.Count);
    }
}
