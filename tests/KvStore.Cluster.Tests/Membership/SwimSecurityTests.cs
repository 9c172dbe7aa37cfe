using KvStore.Cluster.Membership;
using KvStore.Cluster.Membership.Messages;
using KvStore.Cluster.Security;
using KvStore.Core.Membership;

namespace KvStore.Cluster.Tests.Membership;

/// <summary>What a keyed or unkeyed attacker on the gossip network can and cannot do.</summary>
public sealed class SwimSecurityTests
{
    private static MessageAuthenticator ClusterAuthenticator(SwimCluster c) =>
        new(ClusterKeyRing.Development, c.Clock, TimeSpan.FromSeconds(60), 1024);

    /// <summary>Seals a gossip-only datagram from <paramref name="sender"/> carrying <paramref name="updates"/>.</summary>
    private static byte[] Gossip(MessageAuthenticator auth, string sender, params MemberUpdate[] updates) =>
        auth.Seal(sender, SwimCodec.Assemble(
            SwimCodec.EncodeMessage(new SwimMessage.Gossip()),
            updates.Select(SwimCodec.EncodeUpdate).ToList()));

    [Fact]
    public async Task A_packet_sealed_with_a_wrong_key_is_dropped_and_counted()
    {
        await using var c = await new SwimCluster(101).StartAsync(3);
        c.Run(TimeSpan.FromSeconds(3));
        var target = c[1];
        var wrong = new ClusterKeyRing([Enumerable.Repeat((byte)7, 32).ToArray()]);
        var forger = new MessageAuthenticator(wrong, c.Clock, TimeSpan.FromSeconds(60), 16);
        var before = target.Counters.Unauthenticated;

        var bogus = forger.Seal(c[0].Id, SwimCodec.Assemble(SwimCodec.EncodeMessage(new SwimMessage.Gossip()), []));
        c.Network.Inject(c[0].Address, target.Address, bogus);
        c.Run(TimeSpan.FromMilliseconds(5));

        Assert.Equal(before + 1, target.Counters.Unauthenticated);
    }

    [Fact]
    public async Task A_node_with_an_unknown_key_cannot_join()
    {
        await using var c = new SwimCluster(102);
        var a = c.Add();
        var outsider = c.Add(Convert.ToBase64String(Enumerable.Repeat((byte)9, 32).ToArray()));
        _ = a.Membership.StartAsync([], CancellationToken.None);
        var join = outsider.Membership.StartAsync([a.Address], CancellationToken.None);
        c.Run(TimeSpan.FromSeconds(5));

        Assert.False(await join, c.Because("the seed refuses the outsider's push-pull"));
        Assert.Null(a.View.Find(outsider.Id));
        Assert.True(a.Counters.Unauthenticated > 0, c.Because("counted"));
    }

    [Fact]
    public async Task A_replayed_packet_is_dropped_and_counted()
    {
        await using var c = await new SwimCluster(103).StartAsync(3);
        c.Run(TimeSpan.FromSeconds(3));
        (string From, string To, byte[] Bytes)? captured = null;
        c.Network.Sent += (from, to, bytes) => captured ??= (from, to, bytes.ToArray());
        c.Run(TimeSpan.FromSeconds(1));
        Assert.NotNull(captured);

        var (from, to, packet) = captured.Value;
        var receiver = c.Nodes.Single(n => n.Address == to);
        var before = receiver.Counters.Replayed;
        c.Network.Inject(from, to, packet);
        c.Run(TimeSpan.FromMilliseconds(5));

        Assert.Equal(before + 1, receiver.Counters.Replayed);
    }

    [Fact]
    public async Task A_packet_older_than_the_replay_window_is_dropped_as_expired()
    {
        await using var c = await new SwimCluster(104).StartAsync(2);
        var auth = ClusterAuthenticator(c);
        var old = Gossip(auth, c[0].Id);
        c.Run(TimeSpan.FromSeconds(61));
        var before = c[1].Counters.Expired;
        c.Network.Inject(c[0].Address, c[1].Address, old);
        c.Run(TimeSpan.FromMilliseconds(5));
        Assert.Equal(before + 1, c[1].Counters.Expired);
    }

    [Fact]
    public async Task An_alive_claim_not_signed_by_the_member_is_dropped_and_counted_as_forged()
    {
        await using var c = await new SwimCluster(105).StartAsync(3);
        c.Run(TimeSpan.FromSeconds(3));
        var (a, b, receiver) = (c[0], c[1], c[2]);
        var before = receiver.View.Find(b.Id)!;
        var auth = ClusterAuthenticator(c);
        using var mallory = NodeIdentity.Create();

        // A's packet (correctly keyed) claims B is alive at a higher incarnation at A's address,
        // once under a key of A's choosing and once carrying B's public key but signed by another.
        var ownKey = AliveRecord.Create(mallory, b.Id, "10.6.6.6:7070", "", before.Incarnation + 5);
        var borrowedKey = ownKey with { PublicKey = b.Identity.PublicKey, Incarnation = before.Incarnation + 6 };
        c.Network.Inject(a.Address, receiver.Address, Gossip(auth, a.Id, new MemberUpdate.Alive(ownKey)));
        c.Network.Inject(a.Address, receiver.Address, Gossip(auth, a.Id, new MemberUpdate.Alive(borrowedKey)));
        c.Run(TimeSpan.FromMilliseconds(5));

        Assert.Equal(2, receiver.Counters.ForgedAlive);
        Assert.Equal(before, receiver.View.Find(b.Id));
    }

    [Fact]
    public async Task A_left_claim_not_signed_by_the_member_is_dropped()
    {
        await using var c = await new SwimCluster(106).StartAsync(3);
        c.Run(TimeSpan.FromSeconds(3));
        var (a, b, receiver) = (c[0], c[1], c[2]);
        using var mallory = NodeIdentity.Create();
        var forged = LeftRecord.Create(mallory, b.Id, receiver.View.Find(b.Id)!.Incarnation + 1);
        c.Network.Inject(a.Address, receiver.Address, Gossip(ClusterAuthenticator(c), a.Id, new MemberUpdate.Left(forged)));
        c.Run(TimeSpan.FromMilliseconds(5));

        Assert.Equal(1, receiver.Counters.ForgedLeft);
        Assert.Equal(MemberState.Alive, receiver.View.Find(b.Id)!.State);
    }

    [Fact]
    public async Task A_suspicion_is_refuted_and_a_claim_about_an_older_incarnation_is_counted_as_stale()
    {
        await using var c = await new SwimCluster(107).StartAsync(3);
        c.Run(TimeSpan.FromSeconds(3));
        var (a, b, receiver) = (c[0], c[1], c[2]);
        var auth = ClusterAuthenticator(c);

        // A suspicion sent to B itself makes it refute with incarnation 1, which gossip spreads.
        c.Network.Inject(a.Address, b.Address, Gossip(auth, a.Id, new MemberUpdate.Suspect(b.Id, 0, a.Id)));
        Assert.NotNull(c.RunUntil(() => c.Nodes.All(n => n.View.Find(b.Id) is { State: MemberState.Alive, Incarnation: 1 }), TimeSpan.FromSeconds(5)));

        var before = receiver.Counters.StaleIncarnation;
        c.Network.Inject(a.Address, receiver.Address, Gossip(auth, a.Id, new MemberUpdate.Dead(b.Id, 0, a.Id)));
        c.Run(TimeSpan.FromMilliseconds(5));

        Assert.Equal(before + 1, receiver.Counters.StaleIncarnation);
        Assert.Equal(MemberState.Alive, receiver.View.Find(b.Id)!.State);
    }

    [Fact]
    public async Task Gossip_from_a_sender_that_is_not_a_member_is_dropped_and_counted()
    {
        await using var c = await new SwimCluster(108).StartAsync(2);
        var before = c[1].Counters.UnknownSender;
        c.Network.Inject("10.9.9.9:7070", c[1].Address, Gossip(ClusterAuthenticator(c), "stranger"));
        c.Run(TimeSpan.FromMilliseconds(5));
        Assert.Equal(before + 1, c[1].Counters.UnknownSender);
        Assert.Null(c[1].View.Find("stranger"));
    }

    [Fact]
    public async Task An_oversized_datagram_is_dropped_before_decoding()
    {
        await using var c = await new SwimCluster(109).StartAsync(2);
        var before = c[1].Counters.Oversized;
        c.Network.Inject(c[0].Address, c[1].Address, new byte[c[1].Options.MaxPacketBytes + 1]);
        c.Run(TimeSpan.FromMilliseconds(5));
        Assert.Equal(before + 1, c[1].Counters.Oversized);
    }

    [Fact]
    public async Task A_member_table_is_bounded()
    {
        await using var c = new SwimCluster(110, o => o.MaxMembers = 3);
        for (var i = 0; i < 4; i++)
        {
            c.Add();
        }

        _ = c[0].Membership.StartAsync([], CancellationToken.None);
        for (var i = 1; i < 4; i++)
        {
            _ = c[i].Membership.StartAsync([c[0].Address], CancellationToken.None);
            c.Run(TimeSpan.FromMilliseconds(100));
        }

        c.Run(TimeSpan.FromSeconds(5));
        Assert.Equal(3, c[0].View.Members.Length);
        Assert.True(c[0].Counters.MemberTableFull > 0, c.Because("refusals counted"));
    }
}
