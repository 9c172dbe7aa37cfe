using KvStore.Cluster.Replication;

namespace KvStore.Cluster.Tests.Replication;

public sealed class ByteBudgetTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Takers_wait_in_order_while_the_budget_is_spent_and_go_as_bytes_come_back()
    {
        var budget = new ByteBudget(100);
        await budget.TakeAsync(60, Ct);
        var second = budget.TakeAsync(50, Ct);
        var third = budget.TakeAsync(10, Ct);

        // The small one would fit, but waits behind the first waiter: no overtaking.
        Assert.False(second.IsCompleted);
        Assert.False(third.IsCompleted);

        budget.Give(60);
        await second.WaitAsync(Ct);
        await third.WaitAsync(Ct);
        Assert.Equal(40, budget.Available);
    }

    [Fact]
    public async Task A_request_larger_than_the_budget_goes_alone()
    {
        var budget = new ByteBudget(100);
        await budget.TakeAsync(1000, Ct);
        Assert.Equal(0, budget.Available);
        budget.Give(1000);
        Assert.Equal(100, budget.Available);
    }

    [Fact]
    public async Task A_cancelled_wait_takes_nothing_and_lets_the_next_waiter_through()
    {
        var budget = new ByteBudget(100);
        await budget.TakeAsync(80, Ct);
        using var cancel = new CancellationTokenSource();
        var big = budget.TakeAsync(90, cancel.Token);
        var small = budget.TakeAsync(20, Ct);
        Assert.False(small.IsCompleted);

        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => big);
        await small.WaitAsync(Ct);
        Assert.Equal(0, budget.Available);

        budget.Give(80);
        budget.Give(20);
        Assert.Equal(100, budget.Available);
    }
}
