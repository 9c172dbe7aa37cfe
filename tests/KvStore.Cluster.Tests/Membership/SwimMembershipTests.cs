using KvStore.Cluster.Membership;
using KvStore.Core.Membership;

namespace KvStore.Cluster.Tests.Membership;

public sealed class SwimMembershipTests
{
    private static readonly MembershipOptions Defaults = new();

    [Theory]
    [InlineData(3, 11)]
    [InlineData(5, 12)]
    public async Task Nodes_joining_through_one_seed_all_see_everyone_alive(int n, int seed)
    {
        await using var c = await new SwimCluster(seed).StartAsync(n);

        // Each joiner learned the members the seed knew when it joined; gossip spreads the rest.
        var took = c.RunUntil(() => c.AllSeeEveryoneAlive(), TimeSpan.FromSeconds(5));
        Assert.True(took is not null, c.Because("everyone alive everywhere"));
        Assert.All(c.Nodes, node => Assert.Equal(n, node.View.Members.Length));
        Assert.All(c.Nodes, node => Assert.Equal(0, node.Counters.Unauthenticated + node.Counters.ForgedAlive + node.Counters.StaleIncarnation));
    }

    [Fact]
    public async Task A_node_without_seeds_starts_alone()
    {
        await using var c = new SwimCluster(1);
        var node = c.Add();
        Assert.True(await node.Membership.StartAsync([], CancellationToken.None));
        c.Run(TimeSpan.FromSeconds(5));
        Assert.Equal(["n0"], node.View.Members.Select(m => m.Id));
        Assert.Equal(MemberState.Alive, node.View.Members[0].State);
    }

    [Fact]
    public async Task A_node_whose_seed_is_down_retries_and_joins_when_the_seed_comes_up()
    {
        await using var c = new SwimCluster(2);
        var seed = c.Add();
        var joiner = c.Add();
        c.Network.Isolate(seed.Address);
        _ = seed.Membership.StartAsync([], CancellationToken.None);
        var join = joiner.Membership.StartAsync([seed.Address], CancellationToken.None);
        c.Run(Defaults.PushPullTimeout + TimeSpan.FromSeconds(1));
        Assert.True(join.IsCompleted);
        Assert.False(await join, c.Because("the seed is unreachable"));
        Assert.Single(joiner.View.Members);

        c.Network.Heal(seed.Address);
        var took = c.RunUntil(() => c.AllSeeEveryoneAlive(), TimeSpan.FromSeconds(60));
        Assert.True(took is not null, c.Because("the background retry joins once the seed answers"));
    }

    [Fact]
    public async Task A_crashed_node_is_suspected_then_declared_dead_within_the_swim_bound()
    {
        const int n = 5;
        await using var c = await new SwimCluster(21).StartAsync(n);
        var crashed = c[n - 1];
        var others = c.Nodes.Take(n - 1).ToList();
        c.Network.Isolate(crashed.Address);

        // Every node probes each other member once per pass of n - 1 periods, the failed probe ends
        // one period later, an unconfirmed suspicion lasts at most the max timeout, and the verdict
        // then needs a few gossip rounds to reach everyone.
        var minSuspicion = SwimTiming.SuspicionTimeout(Defaults.SuspicionMultiplier, n, Defaults.ProbeInterval);
        Assert.Equal(TimeSpan.FromSeconds(4), minSuspicion);
        var maxSuspicion = minSuspicion * Defaults.SuspicionMaxTimeoutMultiplier;
        var bound = (Defaults.ProbeInterval * n) + maxSuspicion + Defaults.ProbeInterval;
        Assert.Equal(TimeSpan.FromSeconds(30), bound);

        var took = c.RunUntil(() => c.AllSee(o => o != crashed, crashed.Id, MemberState.Dead), bound);
        Assert.True(took is not null, c.Because($"declared dead everywhere within {bound}"));
        Assert.True(c.EverSaw(crashed.Id, MemberState.Suspect), c.Because("suspected before dead"));

        // Confirmations from the other members shorten the suspicion towards its minimum (Lifeguard).
        Assert.True(took < (Defaults.ProbeInterval * n) + maxSuspicion, c.Because($"took {took}"));
        Assert.True(c.AllSeeEveryoneAlive(others), c.Because("the rest stay alive"));
    }

    [Fact]
    public async Task A_paused_node_refutes_its_suspicion_and_is_never_declared_dead()
    {
        const int n = 5;
        await using var c = await new SwimCluster(31).StartAsync(n);
        var paused = c[2];
        var before = paused.View.Find(paused.Id)!.Incarnation;

        c.Network.Isolate(paused.Address);
        c.Run(Defaults.ProbeInterval * 3);
        Assert.True(c.EverSaw(paused.Id, MemberState.Suspect), c.Because("suspected while paused"));
        c.Network.Heal(paused.Address);

        var took = c.RunUntil(() => c.AllSeeEveryoneAlive(), TimeSpan.FromSeconds(30));
        Assert.True(took is not null, c.Because("everyone alive again"));
        c.Run(TimeSpan.FromSeconds(30));

        Assert.False(c.EverSaw(paused.Id, MemberState.Dead), c.Because("never declared dead"));
        Assert.True(c.AllSeeEveryoneAlive(), c.Because("everyone alive"));
        Assert.All(c.Nodes, o => Assert.True(o.View.Find(paused.Id)!.Incarnation > before, c.Because("the refutation raised the incarnation")));
    }

    [Fact]
    public async Task A_member_behind_a_slow_link_answers_through_others_and_is_never_suspected()
    {
        await using var c = await new SwimCluster(41).StartAsync(5);
        var slow = c[4];
        var far = c[0];

        // Each way slower than the probe timeout and, round trip, than the whole period.
        c.Network.SetLinkLatency(far.Address, slow.Address, TimeSpan.FromMilliseconds(800));
        c.Network.SetLinkLatency(slow.Address, far.Address, TimeSpan.FromMilliseconds(800));
        c.Run(TimeSpan.FromSeconds(120));

        Assert.False(c.EverSaw(slow.Id, MemberState.Suspect), c.Because("indirect probes reach the slow member"));
        Assert.False(c.EverSaw(far.Id, MemberState.Suspect), c.Because("and it reaches the far one through others"));
        Assert.False(c.EverSaw(slow.Id, MemberState.Dead), c.Because("never dead"));
        Assert.True(c.AllSeeEveryoneAlive(), c.Because("everyone alive"));
        Assert.Equal(0, far.Membership.Awareness);
    }

    [Fact]
    public async Task Gossip_converges_among_eight_nodes_under_loss_and_duplication()
    {
        await using var c = new SwimCluster(51);
        c.Network.DropProbability = 0.10;
        c.Network.DuplicateProbability = 0.10;
        c.Network.Jitter = TimeSpan.FromMilliseconds(5);
        for (var i = 0; i < 8; i++)
        {
            c.Add();
        }

        var joins = c.Nodes.Select((node, i) => node.Membership.StartAsync(i == 0 ? [] : [SwimCluster.Address(0)], CancellationToken.None)).ToList();
        var took = c.RunUntil(
            () => c.Nodes.All(o => o.View.Members.Length == 8 && o.View.Members.All(m => m.State != MemberState.Dead)),
            TimeSpan.FromSeconds(120),
            TimeSpan.FromMilliseconds(100));
        Assert.True(took is not null, c.Because("every node learns every member"));
        c.Run(TimeSpan.FromSeconds(60));

        Assert.All(c.Nodes, o => Assert.Equal(8, o.View.Members.Length));
        Assert.False(c.Nodes.Any(n => c.EverSaw(n.Id, MemberState.Dead)), c.Because("loss alone kills nobody"));
        Assert.True(c.Nodes.Sum(n => n.Counters.Replayed) > 0, c.Because("duplicates are refused as replays"));

        c.Network.DropProbability = 0;
        c.Network.DuplicateProbability = 0;
        Assert.True(c.RunUntil(() => c.AllSeeEveryoneAlive(), TimeSpan.FromSeconds(30)) is not null, c.Because("all alive once the loss stops"));
    }

    [Fact]
    public async Task A_graceful_leave_shows_left_everywhere_and_is_reaped_later()
    {
        await using var c = await new SwimCluster(61, o => o.ReapAfter = TimeSpan.FromMinutes(2)).StartAsync(3);
        var leaver = c[2];
        var leaving = leaver.Membership.LeaveAsync(TimeSpan.FromSeconds(5));
        c.Run(TimeSpan.FromSeconds(5));
        Assert.True(await leaving, c.Because("the farewell was sent its full number of times"));
        Assert.True(c.AllSee(_ => true, leaver.Id, MemberState.Left), c.Because("left everywhere"));
        await leaver.Membership.DisposeAsync();

        c.Run(TimeSpan.FromMinutes(2) - TimeSpan.FromSeconds(10));
        Assert.True(c.AllSee(o => o != leaver, leaver.Id, MemberState.Left), c.Because("kept until ReapAfter"));
        c.Run(TimeSpan.FromSeconds(10) + Defaults.ProbeInterval);
        Assert.All(c.Nodes.Take(2), o => Assert.Null(o.View.Find(leaver.Id)));
        Assert.All(c.Nodes.Take(2), o => Assert.Equal(2, o.View.Members.Length));
    }

    [Fact]
    public async Task A_dead_member_is_reaped_after_reap_after()
    {
        await using var c = await new SwimCluster(71, o => o.ReapAfter = TimeSpan.FromMinutes(5)).StartAsync(3);
        var crashed = c[1];
        c.Network.Isolate(crashed.Address);
        Assert.NotNull(c.RunUntil(() => c.AllSee(o => o != crashed, crashed.Id, MemberState.Dead), TimeSpan.FromSeconds(60)));
        c.Run(TimeSpan.FromMinutes(5) - TimeSpan.FromSeconds(2));
        Assert.NotNull(c[0].View.Find(crashed.Id));
        c.Run(TimeSpan.FromSeconds(4));
        Assert.Null(c[0].View.Find(crashed.Id));
        Assert.Null(c[2].View.Find(crashed.Id));
    }

    [Fact]
    public async Task Nodes_with_keys_in_either_order_of_a_rotation_talk()
    {
        var old = Convert.ToBase64String(Enumerable.Range(0, 32).Select(i => (byte)i).ToArray());
        var @new = Convert.ToBase64String(Enumerable.Range(100, 32).Select(i => (byte)i).ToArray());
        await using var c = new SwimCluster(81);
        var a = c.Add($"{@new},{old}");
        var b = c.Add($"{old},{@new}");
        var c2 = c.Add(old);
        _ = a.Membership.StartAsync([], CancellationToken.None);
        _ = b.Membership.StartAsync([a.Address], CancellationToken.None);
        _ = c2.Membership.StartAsync([b.Address], CancellationToken.None);
        c.Run(TimeSpan.FromSeconds(10));

        // a and b share both keys; c (old only) hears b but cannot read a, which sends with the new key.
        Assert.True(c.AllSeeEveryoneAlive([a, b]), c.Because("a and b talk"));
        Assert.Equal(0, a.Counters.Unauthenticated);
        Assert.Equal(0, b.Counters.Unauthenticated);
        Assert.True(c2.Counters.Unauthenticated > 0, c.Because("the node without the new key cannot read it"));
    }
}
