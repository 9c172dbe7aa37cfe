using KvStore.Cluster.Membership;

namespace KvStore.Cluster.Tests.Membership;

public sealed class MembershipOptionsTests
{
    [Fact]
    public void The_defaults_are_memberlists_lan_settings_and_validate()
    {
        var o = new MembershipOptions();
        Assert.Empty(o.Validate());
        Assert.Equal(TimeSpan.FromSeconds(1), o.ProbeInterval);
        Assert.Equal(TimeSpan.FromMilliseconds(500), o.ProbeTimeout);
        Assert.Equal(3, o.IndirectChecks);
        Assert.Equal(4, o.SuspicionMultiplier);
        Assert.Equal(6, o.SuspicionMaxTimeoutMultiplier);
        Assert.Equal(4, o.RetransmitMultiplier);
        Assert.Equal(TimeSpan.FromMilliseconds(200), o.GossipInterval);
        Assert.Equal(3, o.GossipFanout);
        Assert.Equal(TimeSpan.FromSeconds(30), o.PushPullInterval);
        Assert.Equal(8, o.AwarenessMaxMultiplier);
        Assert.Equal(TimeSpan.FromHours(1), o.ReapAfter);
        Assert.Equal(1024, o.MaxMembers);
        Assert.Equal(1400, o.MaxPacketBytes);
        Assert.Equal(1024, o.BroadcastQueueCapacity);
        Assert.Equal(TimeSpan.FromSeconds(60), o.ReplayWindow);
        Assert.True(o.UsesDevelopmentKey);
    }

    [Fact]
    public void Bad_settings_are_each_named()
    {
        var o = new MembershipOptions
        {
            ProbeInterval = TimeSpan.FromMilliseconds(400),
            GossipInterval = TimeSpan.Zero,
            IndirectChecks = -1,
            MaxPacketBytes = 100,
            Keys = "AAAA",
        };
        var errors = o.Validate().ToList();
        Assert.Contains(errors, e => e.StartsWith("Membership:GossipInterval must be between", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("Membership:ProbeTimeout (00:00:00.5000000) must be shorter", StringComparison.Ordinal));
        Assert.Contains("Membership:IndirectChecks must be between 0 and 16 (is -1)", errors);
        Assert.Contains("Membership:MaxPacketBytes must be between 512 and 65000 (is 100)", errors);
        Assert.Contains("Membership:Keys: key 1 decodes to 3 bytes; 32 to 64 are required", errors);
        Assert.Equal(5, errors.Count);
        Assert.False(o.UsesDevelopmentKey);
    }
}
