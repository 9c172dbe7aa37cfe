using Grpc.Core;

namespace KvStore.Client.Tests;

/// <summary>Server errors arrive as <see cref="KvException"/> with the server's status and detail.</summary>
public sealed class ErrorTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private KvClient Client => fixture.Client;

    [Fact]
    public async Task Empty_key_is_invalid_argument()
    {
        var e = await Assert.ThrowsAsync<KvException>(() => Client.GetAsync("", cancellationToken: Ct));

        Assert.Equal(StatusCode.InvalidArgument, e.StatusCode);
        Assert.StartsWith("INVALID_ARGUMENT: ", e.Message, StringComparison.Ordinal);
        Assert.NotEmpty(e.Detail);
        Assert.False(e.IsUnreachable);
    }

    [Fact]
    public async Task Empty_key_on_a_write_is_invalid_argument()
    {
        var e = await Assert.ThrowsAsync<KvException>(() => Client.PutAsync("", "v", cancellationToken: Ct));

        Assert.Equal(StatusCode.InvalidArgument, e.StatusCode);
    }

    [Fact]
    public async Task Set_operation_on_a_register_key_is_failed_precondition_and_changes_nothing()
    {
        var key = ServerFixture.NewKey("register");
        await Client.PutAsync(key, "v", cancellationToken: Ct);

        var add = await Assert.ThrowsAsync<KvException>(() => Client.SetAddAsync(key, ["a"], cancellationToken: Ct));
        var members = await Assert.ThrowsAsync<KvException>(() => Client.GetSetAsync(key, cancellationToken: Ct));

        Assert.Equal(StatusCode.FailedPrecondition, add.StatusCode);
        Assert.Equal(StatusCode.FailedPrecondition, members.StatusCode);
        Assert.StartsWith("FAILED_PRECONDITION", add.Message, StringComparison.Ordinal);
        Assert.Equal("v", (await Client.GetAsync(key, cancellationToken: Ct))?.ValueAsString);
    }

    [Fact]
    public async Task Register_operation_on_a_set_key_is_failed_precondition()
    {
        var key = ServerFixture.NewKey("set");
        await Client.SetAddAsync(key, ["a"], cancellationToken: Ct);

        var get = await Assert.ThrowsAsync<KvException>(() => Client.GetAsync(key, cancellationToken: Ct));
        var put = await Assert.ThrowsAsync<KvException>(() => Client.PutAsync(key, "v", cancellationToken: Ct));

        Assert.Equal(StatusCode.FailedPrecondition, get.StatusCode);
        Assert.Equal(StatusCode.FailedPrecondition, put.StatusCode);
    }

    [Fact]
    public async Task Set_add_with_no_elements_is_invalid_argument()
    {
        var e = await Assert.ThrowsAsync<KvException>(() => Client.SetAddAsync(ServerFixture.NewKey("no-elements"), Array.Empty<string>(), cancellationToken: Ct));

        Assert.Equal(StatusCode.InvalidArgument, e.StatusCode);
    }

    [Fact]
    public async Task Malformed_context_is_invalid_argument()
    {
        var garbage = KvContext.FromBytes([0xDE, 0xAD, 0xBE, 0xEF, 0x01, 0x02]);

        var e = await Assert.ThrowsAsync<KvException>(() => Client.PutAsync(ServerFixture.NewKey("bad-context"), "v", garbage, cancellationToken: Ct));

        Assert.Equal(StatusCode.InvalidArgument, e.StatusCode);
    }

    [Fact]
    public async Task An_oversized_request_is_refused_by_the_server_not_the_client()
    {
        // 8 MiB passes the client's 16 MiB send limit but not any server message limit below it.
        var value = new byte[8 * 1024 * 1024];

        var e = await Assert.ThrowsAsync<KvException>(() => Client.PutAsync("big"u8.ToArray(), value, cancellationToken: Ct));

        Assert.Equal(StatusCode.ResourceExhausted, e.StatusCode);
        Assert.False(e.IsUnreachable);
    }
}
