using KvStore.Cluster.Membership;
using KvStore.Cluster.Tombstones;

namespace KvStore.Cluster.Tests.Tombstones;

public sealed class TombstoneOptionsTests
{
    private static readonly TimeSpan ReapAfter = new MembershipOptions().ReapAfter;

    [Fact]
    public void The_defaults_are_valid_with_the_default_reap_time()
    {
        Assert.Empty(new TombstoneOptions().Validate(ReapAfter));
    }

    [Fact]
    public void A_horizon_not_below_the_reap_time_is_refused_because_a_reaped_node_could_have_missed_collections()
    {
        var error = Assert.Single(new TombstoneOptions { Horizon = ReapAfter }.Validate(ReapAfter));
        Assert.Contains("Tombstones:Horizon must be less than Membership:ReapAfter", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Out_of_range_values_are_each_named()
    {
        var errors = new TombstoneOptions
        {
            Interval = TimeSpan.Zero,
            KeysPerPass = 0,
            Grace = TimeSpan.FromSeconds(-1),
            PeerTimeout = TimeSpan.Zero,
            AliveMarkInterval = TimeSpan.FromMinutes(10),
            AwayWaitForMembers = TimeSpan.FromSeconds(-1),
            RestoreKeysPerSecond = -1,
        }.Validate(ReapAfter).ToList();
        Assert.Equal(7, errors.Count);
        foreach (var name in new[] { "Interval", "KeysPerPass", "Grace", "PeerTimeout", "AliveMarkInterval", "AwayWaitForMembers", "RestoreKeysPerSecond" })
        {
            Assert.Contains(errors, e => e.StartsWith($"Tombstones:{name} ", StringComparison.Ordinal));
        }
    }
}
