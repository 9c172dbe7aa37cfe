using Google.Protobuf;
using Grpc.Core;
using KvStore.Protocol.V1;
using KvStore.Testing;

namespace KvStore.Server.Tests;

/// <summary>The Batch RPC as seen by a client written only from kvstore.proto.</summary>
public sealed class BatchTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private Protocol.V1.KvStore.KvStoreClient Client => fixture.Client;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static ByteString B(string s) => ByteString.CopyFromUtf8(s);

    private static string UniqueKey(string prefix) => $"{prefix}-{Guid.NewGuid():N}";

    private static BatchOperation Put(ByteString key, string value) => new() { Put = new PutRequest { Key = key, Value = B(value) } };

    private static BatchOperation Get(ByteString key) => new() { Get = new GetRequest { Key = key } };

    private Task<BatchResponse> RunAsync(params BatchOperation[] operations) =>
        Client.BatchAsync(new BatchRequest { Operations = { operations } }, cancellationToken: Ct).ResponseAsync;

    [Fact]
    public async Task Puts_then_gets_of_many_keys_round_trip_in_request_order()
    {
        var keys = Enumerable.Range(0, 50).Select(i => B(UniqueKey($"batch{i}"))).ToArray();
        var puts = await RunAsync(keys.Select((k, i) => Put(k, $"v{i}")).ToArray());
        Assert.Equal(50, puts.Results.Count);
        Assert.All(puts.Results, r =>
        {
            Assert.Equal((int)StatusCode.OK, r.Code);
            Assert.Equal(BatchResult.ResultOneofCase.Put, r.ResultCase);
            Assert.False(r.Put.Context.IsEmpty);
        });

        var gets = await RunAsync(keys.Select(Get).Append(Get(B(UniqueKey("missing")))).ToArray());
        Assert.Equal(Enumerable.Range(0, 50).Select(i => $"v{i}"), gets.Results.Take(50).Select(r => r.Get.Value.ToStringUtf8()));
        Assert.All(gets.Results.Take(50), r => Assert.True(r.Get.Found));
        Assert.Equal((int)StatusCode.OK, gets.Results[50].Code);
        Assert.False(gets.Results[50].Get.Found);

        var single = await Client.GetAsync(new GetRequest { Key = keys[7] }, cancellationToken: Ct);
        Assert.Equal(single.Context, gets.Results[7].Get.Context);
    }

    [Fact]
    public async Task Concurrent_batches_beyond_the_coordinator_bound_wait_for_room_instead_of_failing()
    {
        // 16 batches of 100 puts against a node that coordinates at most 64 requests at once: the
        // batches queue for the 32 batch slots, and every operation succeeds.
        await using var server = await ServerProcess.StartAsync(
            cancellationToken: Ct, environment: new Dictionary<string, string> { ["KVSTORE_REPLICATION__MAX_PENDING_REQUESTS"] = "64" });
        using var channel = Grpc.Net.Client.GrpcChannel.ForAddress($"http://127.0.0.1:{server.GrpcPort}");
        var client = new Protocol.V1.KvStore.KvStoreClient(channel);
        var batches = Enumerable.Range(0, 16).Select(b => client.BatchAsync(
            new BatchRequest { Operations = { Enumerable.Range(0, 100).Select(i => Put(B($"bound-{b}-{i}"), "v")) } },
            cancellationToken: Ct).ResponseAsync).ToArray();

        // Single calls compete for the same coordinator; those it refuses fail fast, as they should,
        // but a batch operation refused that way waits and tries again.
        var singles = Enumerable.Range(0, 400).Select(i => SinglePutOutcomeAsync(client, B($"single-{i}"))).ToArray();

        var responses = await Task.WhenAll(batches);
        Assert.All(await Task.WhenAll(singles), code => Assert.Contains(code, new[] { StatusCode.OK, StatusCode.ResourceExhausted }));
        var codes = responses.SelectMany(r => r.Results).GroupBy(r => (StatusCode)r.Code).ToDictionary(g => g.Key, g => g.Count());
        Assert.Equal(new Dictionary<StatusCode, int> { [StatusCode.OK] = 1600 }, codes);
    }

    private static async Task<StatusCode> SinglePutOutcomeAsync(Protocol.V1.KvStore.KvStoreClient client, ByteString key)
    {
        try
        {
            await client.PutAsync(new PutRequest { Key = key, Value = B("v") }, cancellationToken: Ct);
            return StatusCode.OK;
        }
        catch (RpcException e)
        {
            return e.StatusCode;
        }
    }

    [Fact]
    public async Task All_six_operations_answer_their_own_response()
    {
        var reg = B(UniqueKey("reg"));
        var set = B(UniqueKey("set"));
        var response = await RunAsync(
            Put(reg, "v"),
            new BatchOperation { SetAdd = new SetAddRequest { Key = set, Elements = { B("b"), B("a") } } },
            new BatchOperation { SetRemove = new SetRemoveRequest { Key = set, Elements = { B("b") } } },
            new BatchOperation { SetMembers = new SetMembersRequest { Key = set } },
            new BatchOperation { Delete = new DeleteRequest { Key = reg } },
            Get(reg));

        Assert.All(response.Results, r => Assert.Equal((int)StatusCode.OK, r.Code));
        Assert.Equal(
            [BatchResult.ResultOneofCase.Put, BatchResult.ResultOneofCase.Set, BatchResult.ResultOneofCase.Set,
             BatchResult.ResultOneofCase.SetMembers, BatchResult.ResultOneofCase.Delete, BatchResult.ResultOneofCase.Get],
            response.Results.Select(r => r.ResultCase));
        Assert.Equal(["a"], response.Results[3].SetMembers.Members.Select(m => m.ToStringUtf8()));
        Assert.False(response.Results[5].Get.Found);
    }

    [Fact]
    public async Task Only_the_invalid_and_the_wrong_type_operations_fail_with_the_single_calls_status()
    {
        var setKey = B(UniqueKey("set"));
        await Client.SetAddAsync(new SetAddRequest { Key = setKey, Elements = { B("x") } }, cancellationToken: Ct);
        var before = B(UniqueKey("before"));
        var after = B(UniqueKey("after"));

        var response = await RunAsync(Put(before, "1"), Put(ByteString.Empty, "no key"), Put(setKey, "register on a set"), Put(after, "2"));

        var single = await Assert.ThrowsAsync<RpcException>(() => Client.PutAsync(new PutRequest { Value = B("no key") }, cancellationToken: Ct).ResponseAsync);
        Assert.Equal((int)StatusCode.OK, response.Results[0].Code);
        Assert.Equal((int)StatusCode.InvalidArgument, response.Results[1].Code);
        Assert.Equal(single.Status.Detail, response.Results[1].Message);
        Assert.Equal(BatchResult.ResultOneofCase.None, response.Results[1].ResultCase);
        Assert.Equal((int)StatusCode.FailedPrecondition, response.Results[2].Code);
        Assert.Contains("set", response.Results[2].Message, StringComparison.Ordinal);
        Assert.Equal((int)StatusCode.OK, response.Results[3].Code);
        Assert.Equal("1", (await Client.GetAsync(new GetRequest { Key = before }, cancellationToken: Ct)).Value.ToStringUtf8());
        Assert.Equal("2", (await Client.GetAsync(new GetRequest { Key = after }, cancellationToken: Ct)).Value.ToStringUtf8());
        Assert.Equal(["x"], (await Client.SetMembersAsync(new SetMembersRequest { Key = setKey }, cancellationToken: Ct)).Members.Select(m => m.ToStringUtf8()));
    }

    [Fact]
    public async Task An_operation_with_no_request_fails_alone()
    {
        var key = B(UniqueKey("k"));
        var response = await RunAsync(new BatchOperation(), Put(key, "v"));
        Assert.Equal((int)StatusCode.InvalidArgument, response.Results[0].Code);
        Assert.Equal((int)StatusCode.OK, response.Results[1].Code);
    }

    [Fact]
    public async Task An_empty_batch_is_invalid_argument()
    {
        var e = await Assert.ThrowsAsync<RpcException>(() => RunAsync());
        Assert.Equal(StatusCode.InvalidArgument, e.StatusCode);
        Assert.Contains("no operations", e.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_batch_over_the_limit_is_invalid_argument_and_runs_nothing()
    {
        var key = B(UniqueKey("over"));
        var operations = Enumerable.Range(0, 1001).Select(i => Put(B($"{key.ToStringUtf8()}/{i}"), "v")).ToArray();
        var e = await Assert.ThrowsAsync<RpcException>(() => RunAsync(operations));
        Assert.Equal(StatusCode.InvalidArgument, e.StatusCode);
        Assert.Contains("Limits:MaxBatchOperations", e.Status.Detail, StringComparison.Ordinal);
        Assert.False((await Client.GetAsync(new GetRequest { Key = B($"{key.ToStringUtf8()}/0") }, cancellationToken: Ct)).Found);

        var atLimit = await RunAsync(operations[..1000]);
        Assert.All(atLimit.Results, r => Assert.Equal((int)StatusCode.OK, r.Code));
    }

    [Fact]
    public async Task An_unknown_batch_consistency_is_invalid_argument_for_the_whole_call()
    {
        var request = new BatchRequest { Operations = { Get(B("k")) }, Consistency = (Consistency)42 };
        var e = await Assert.ThrowsAsync<RpcException>(() => Client.BatchAsync(request, cancellationToken: Ct).ResponseAsync);
        Assert.Equal(StatusCode.InvalidArgument, e.StatusCode);
    }

    [Fact]
    public async Task The_level_inside_an_operation_is_ignored_in_favour_of_the_batchs()
    {
        var key = B(UniqueKey("level"));
        var operation = new BatchOperation { Put = new PutRequest { Key = key, Value = B("v"), Consistency = (Consistency)42 } };
        var response = await Client.BatchAsync(new BatchRequest { Operations = { operation }, Consistency = Consistency.One }, cancellationToken: Ct);
        Assert.Equal((int)StatusCode.OK, response.Results[0].Code);
    }

    [Fact]
    public async Task Operations_on_one_key_are_applied_in_request_order()
    {
        var reg = B(UniqueKey("order"));
        var set = B(UniqueKey("order-set"));
        for (var round = 0; round < 5; round++)
        {
            var response = await RunAsync(
                Put(reg, "a"),
                new BatchOperation { SetAdd = new SetAddRequest { Key = set, Elements = { B("x") } } },
                Put(reg, "b"),
                new BatchOperation { SetRemove = new SetRemoveRequest { Key = set, Elements = { B("x") } } },
                Get(reg),
                new BatchOperation { SetMembers = new SetMembersRequest { Key = set } });

            Assert.All(response.Results, r => Assert.Equal((int)StatusCode.OK, r.Code));
            Assert.Equal("b", response.Results[4].Get.Value.ToStringUtf8());
            Assert.False(response.Results[5].SetMembers.Found);
            Assert.Empty(response.Results[5].SetMembers.Members);
        }
    }

    [Fact]
    public async Task Reads_past_the_message_limit_are_resource_exhausted_and_the_rest_is_answered()
    {
        var prefix = UniqueKey("large");
        var megabyte = ByteString.CopyFrom(new byte[1024 * 1024]);
        for (var i = 0; i < 5; i++)
        {
            await Client.PutAsync(new PutRequest { Key = B($"{prefix}/{i}"), Value = megabyte }, cancellationToken: Ct);
        }

        var small = B(UniqueKey("small"));
        var operations = Enumerable.Range(0, 5).Select(i => Get(B($"{prefix}/{i}"))).Append(Put(small, "v")).ToArray();
        var response = await RunAsync(operations);

        Assert.Equal([StatusCode.OK, StatusCode.OK, StatusCode.OK, StatusCode.ResourceExhausted, StatusCode.ResourceExhausted, StatusCode.OK],
            response.Results.Select(r => (StatusCode)r.Code));
        Assert.Contains("Limits:MaxMessageBytes", response.Results[3].Message, StringComparison.Ordinal);
        Assert.True(response.CalculateSize() <= 4 * 1024 * 1024);
        Assert.Equal("v", (await Client.GetAsync(new GetRequest { Key = small }, cancellationToken: Ct)).Value.ToStringUtf8());
    }
}
