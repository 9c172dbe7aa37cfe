using KvStore.Cluster.Handoff;

namespace KvStore.Cluster.Tests.Handoff;

public sealed class HandoffOptionsTests
{
    [Fact]
    public void The_defaults_are_valid_and_each_bound_is_checked_with_the_value_given()
    {
        Assert.Empty(new HandoffOptions().Validate());
        Assert.Empty(new HandoffOptions { MaxBytesPerSecond = 0, LeaveTimeout = TimeSpan.Zero, MaxFinishedShown = 0 }.Validate());
        var bad = new HandoffOptions
        {
            MaxBytesPerSecond = 10,
            MaxConcurrentTransfers = 0,
            RetryDelay = TimeSpan.Zero,
            LeaveTimeout = TimeSpan.FromDays(1),
            MaxFinishedShown = -1,
        }.Validate().ToList();
        Assert.Equal(
            [
                "Handoff:MaxBytesPerSecond must be 0 (no bound) or at least 65536 (is 10)",
                "Handoff:MaxConcurrentTransfers must be between 1 and 16 (is 0)",
                "Handoff:RetryDelay must be between 00:00:00.010 and 01:00:00 (is 00:00:00)",
                "Handoff:LeaveTimeout must be between 00:00:00 and 01:00:00 (is 1.00:00:00)",
                "Handoff:MaxFinishedShown must be between 0 and 1024 (is -1)",
            ],
            bad);
    }
}
