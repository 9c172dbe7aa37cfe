using KvStore.Cluster.Membership;
using Microsoft.Extensions.Logging.Abstractions;

namespace KvStore.Cluster.Tests.Membership;

/// <summary>The real socket, on loopback: the only membership test that touches the network stack.</summary>
public sealed class UdpDatagramTransportTests
{
    [Fact]
    public async Task Datagrams_cross_loopback_and_oversized_ones_are_dropped_and_counted()
    {
        await using var a = new UdpDatagramTransport("127.0.0.1:0", 1400, NullLogger.Instance);
        await using var b = new UdpDatagramTransport("127.0.0.1:0", 1400, NullLogger.Instance);
        var received = new TaskCompletionSource<(string From, byte[] Data)>(TaskCreationOptions.RunContinuationsAsynchronously);
        b.Start((from, data) => received.TrySetResult((from, data.ToArray())));
        a.Start((_, _) => { });
        var ct = TestContext.Current.CancellationToken;

        // An oversized datagram from a third socket, then a good one: loopback keeps their order.
        using (var raw = new System.Net.Sockets.UdpClient("127.0.0.1", int.Parse(b.LocalAddress.Split(':')[1])))
        {
            await raw.SendAsync(new byte[2000], ct);
        }

        await a.SendAsync(b.LocalAddress, new byte[] { 1, 2, 3 }, ct);
        var (sender, bytes) = await received.Task.WaitAsync(TimeSpan.FromSeconds(10), ct);

        Assert.Equal(a.LocalAddress, sender);
        Assert.Equal([1, 2, 3], bytes);
        Assert.Equal(1, b.Oversized);
        await Assert.ThrowsAsync<ArgumentException>(async () => await a.SendAsync(b.LocalAddress, new byte[1401], ct));
    }
}
