using System.Net;
using System.Net.Sockets;
using Grpc.Core;

using KvStore.Testing;

namespace KvStore.Client.Tests;

/// <summary>What the caller sees when no endpoint answers; no server needed.</summary>
public sealed class UnreachableTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task When_every_endpoint_refuses_the_call_fails_as_unreachable()
    {
        using var first = new ClosedPort();
        using var second = new ClosedPort();
        await using var client = new KvClient(new KvClientOptions
        {
            Endpoints = [first.Endpoint, second.Endpoint],
        });

        var e = await Assert.ThrowsAsync<KvException>(() => client.PutAsync("k", "v", cancellationToken: Ct));

        Assert.Equal(StatusCode.Unavailable, e.StatusCode);
        Assert.True(e.IsUnreachable);
        Assert.StartsWith("UNAVAILABLE", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unknown_host_is_unreachable()
    {
        await using var client = new KvClient("no-such-host.invalid:7070");

        var e = await Assert.ThrowsAsync<KvException>(() => client.GetAsync("k", cancellationToken: Ct));

        Assert.True(e.IsUnreachable);
    }

    [Fact]
    public async Task A_node_that_accepts_but_never_answers_is_a_timeout_not_unreachable()
    {
        // The kernel completes the TCP handshake for the listener's backlog, so the client connects
        // and then waits for an HTTP/2 answer that never comes.
        using var silent = new TcpListener(IPAddress.Loopback, 0);
        silent.Start();
        var endpoint = $"127.0.0.1:{((IPEndPoint)silent.LocalEndpoint).Port}";
        using var closed = new ClosedPort();
        await using var client = new KvClient(new KvClientOptions
        {
            Endpoints = [endpoint, closed.Endpoint],
            Timeout = TimeSpan.FromMilliseconds(300),
        });

        var e = await Assert.ThrowsAsync<KvException>(() => client.GetAsync("k", cancellationToken: Ct));

        Assert.Equal(StatusCode.DeadlineExceeded, e.StatusCode);
        Assert.False(e.IsUnreachable);
        Assert.Equal(0, client.CurrentEndpointIndex);
    }
}
