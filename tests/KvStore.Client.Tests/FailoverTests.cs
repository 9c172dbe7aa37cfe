using Grpc.Core;

using KvStore.Testing;

namespace KvStore.Client.Tests;

/// <summary>Moving on to the next endpoint when one cannot be reached.</summary>
public sealed class FailoverTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_refused_first_endpoint_fails_over_to_the_second()
    {
        using var closed = new ClosedPort();
        await using var client = new KvClient(new KvClientOptions
        {
            Endpoints = [closed.Endpoint, fixture.Server.GrpcEndpoint],
        });
        var key = ServerFixture.NewKey("failover");

        await client.PutAsync(key, "v", cancellationToken: Ct);
        var read = await client.GetAsync(key, cancellationToken: Ct);

        Assert.Equal("v", read?.ValueAsString);
        Assert.Equal(1, client.CurrentEndpointIndex);
    }

    [Fact]
    public async Task A_reachable_first_endpoint_is_used_and_stays_current()
    {
        using var closed = new ClosedPort();
        await using var client = new KvClient(new KvClientOptions
        {
            Endpoints = [fixture.Server.GrpcEndpoint, closed.Endpoint],
        });
        var key = ServerFixture.NewKey("wrap");

        await client.PutAsync(key, "v", cancellationToken: Ct);

        Assert.Equal("v", (await client.GetAsync(key, cancellationToken: Ct))?.ValueAsString);
        Assert.Equal(0, client.CurrentEndpointIndex);
    }

    [Fact]
    public async Task Server_errors_are_not_retried_elsewhere_and_are_not_unreachable()
    {
        using var closed = new ClosedPort();
        await using var client = new KvClient(new KvClientOptions
        {
            Endpoints = [fixture.Server.GrpcEndpoint, closed.Endpoint],
        });

        var e = await Assert.ThrowsAsync<KvException>(() => client.GetAsync("", cancellationToken: Ct));

        Assert.Equal(StatusCode.InvalidArgument, e.StatusCode);
        Assert.False(e.IsUnreachable);
    }

    [Fact]
    public async Task A_channel_from_the_caller_works()
    {
        using var channel = Grpc.Net.Client.GrpcChannel.ForAddress(fixture.Server.GrpcEndpoint);
        await using var client = new KvClient(channel);
        var key = ServerFixture.NewKey("channel");

        await client.PutAsync(key, "v", cancellationToken: Ct);

        Assert.Equal("v", (await client.GetAsync(key, cancellationToken: Ct))?.ValueAsString);
    }
}
