using KvStore.Cluster.Membership;

namespace KvStore.Cluster.Tests.Membership;

public sealed class BroadcastQueueTests
{
    private static int Cost(byte[] b) => b.Length;

    [Fact]
    public void Fewest_transmits_go_first_newest_first_among_equals_and_each_is_retired_at_the_limit()
    {
        var q = new BroadcastQueue(16);
        q.Enqueue("a", [1]);
        q.Enqueue("b", [2]);
        Assert.Equal([[2], [1]], q.Take(100, 2, Cost, 10));
        q.Enqueue("c", [3]);
        Assert.Equal([[3], [2], [1]], q.Take(100, 2, Cost, 10));
        Assert.Equal(1, q.Count);
        Assert.Equal([[3]], q.Take(100, 2, Cost, 10));
        Assert.Equal(0, q.Count);
    }

    [Fact]
    public void A_newer_update_about_a_member_replaces_the_queued_one()
    {
        var q = new BroadcastQueue(16);
        var finished = 0;
        q.Enqueue("a", [1], () => finished++);
        q.Enqueue("a", [9]);
        Assert.Equal(1, finished);
        Assert.Equal([[9]], q.Take(100, 3, Cost, 10));
    }

    [Fact]
    public void Only_what_fits_the_budget_is_taken()
    {
        var q = new BroadcastQueue(16);
        q.Enqueue("a", new byte[5]);
        q.Enqueue("b", new byte[8]);
        q.Enqueue("c", new byte[3]);
        Assert.Equal([3, 5], q.Take(9, 3, Cost, 10).Select(b => b.Length));
    }

    [Fact]
    public void A_full_queue_drops_the_most_transmitted_and_counts_it()
    {
        var q = new BroadcastQueue(2);
        q.Enqueue("a", [1]);
        q.Take(100, 5, Cost, 10);
        q.Enqueue("b", [2]);
        q.Enqueue("c", [3]);
        Assert.Equal(1, q.Dropped);
        Assert.Equal([[3], [2]], q.Take(100, 5, Cost, 10));
    }
}
