using System.IO.Hashing;
using System.Text;
using CsCheck;
using KvStore.Core.Ring;

namespace KvStore.Core.Tests;

public sealed class RingTests
{
    private static readonly string[] Five = ["n1", "n2", "n3", "n4", "n5"];

    /// <summary>10,000 keys from a fixed seed: the same keys on every run.</summary>
    private static readonly byte[][] Keys = MakeKeys(10_000, seed: 20261124);

    private static byte[][] MakeKeys(int count, int seed)
    {
        var rng = new Random(seed);
        return Enumerable.Range(0, count).Select(_ =>
        {
            var key = new byte[16];
            rng.NextBytes(key);
            return key;
        }).ToArray();
    }

    /// <summary>
    /// The placement rule written out the slow way, from the documented token scheme alone: every
    /// (token, node) sorted by token then node id, start at the first token ≥ the hash (wrapping),
    /// and list distinct nodes in the order met.
    /// </summary>
    private static List<string> OracleWalk(IEnumerable<string> nodes, int tokensPerNode, ulong hash)
    {
        var tokens = nodes.Distinct()
            .SelectMany(n => Enumerable.Range(0, tokensPerNode).Select(i => (Token: XxHash64.HashToUInt64(Encoding.UTF8.GetBytes($"{n}#{i}")), Node: n)))
            .OrderBy(t => t.Token).ThenBy(t => t.Node, StringComparer.Ordinal)
            .ToList();
        var start = tokens.FindIndex(t => t.Token >= hash);
        if (start < 0)
        {
            start = 0;
        }

        return tokens.Skip(start).Concat(tokens.Take(start)).Select(t => t.Node).Distinct().ToList();
    }

    [Fact]
    public void Key_hash_is_xxhash64_with_seed_zero()
    {
        // The published XxHash64 digest of the empty input with seed 0.
        Assert.Equal(0xEF46DB3751D8E999UL, HashRing.KeyHash([]));
        Assert.Equal(XxHash64.HashToUInt64("key"u8, 0), HashRing.KeyHash("key"u8));
    }

    [Fact]
    public void Walks_follow_the_documented_token_scheme()
    {
        var nodes = new[] { "b", "a", "c", "d" };
        var ring = HashRing.Build(nodes, tokensPerNode: 4);
        Assert.Equal(16, ring.TokenCount);
        Assert.Equal(4, ring.TokensPerNode);
        foreach (var key in Keys.Take(1000))
        {
            Assert.Equal(OracleWalk(nodes, 4, HashRing.KeyHash(key)), ring.Walk(key));
        }
    }

    [Fact]
    public void A_preference_list_has_n_distinct_nodes_and_is_the_start_of_the_walk()
    {
        var ring = HashRing.Build(Five);
        foreach (var key in Keys.Take(2000))
        {
            var walk = ring.Walk(key);
            Assert.Equal(5, walk.Count);
            Assert.Equal(Five, walk.Order(StringComparer.Ordinal));
            for (var n = 1; n <= 6; n++)
            {
                var list = ring.PreferenceList(key, n);
                Assert.Equal(Math.Min(n, 5), list.Count);
                Assert.Equal(list.Count, list.Distinct().Count());
                Assert.Equal(walk.Take(n), list);
            }
        }
    }

    [Fact]
    public void The_ring_depends_only_on_the_set_of_node_ids()
    {
        var a = HashRing.Build(Five);
        var b = HashRing.Build(["n4", "n2", "n5", "n1", "n3", "n2", "n4"]);
        Assert.Equal(Five, a.Nodes);
        Assert.Equal(Five, b.Nodes);
        Assert.Equal(a.TokenCount, b.TokenCount);
        Assert.All(Keys.Take(2000), key => Assert.Equal(a.Walk(key), b.Walk(key)));
        Assert.Equal(a.PrimaryOwnership(), b.PrimaryOwnership());
    }

    [Fact]
    public void Adding_a_node_moves_only_keys_to_the_new_node()
    {
        var before = HashRing.Build(Five);
        var after = HashRing.Build([.. Five, "n6"]);
        var moved = 0;
        foreach (var key in Keys)
        {
            var old = before.PreferenceList(key, 1)[0];
            var now = after.PreferenceList(key, 1)[0];
            if (old != now)
            {
                Assert.Equal("n6", now);
                moved++;
            }

            // The other nodes keep their order on every walk; the new one is only inserted.
            Assert.Equal(before.Walk(key), after.Walk(key).Where(n => n != "n6"));
        }

        // About a sixth of the keys move to the new node; none move anywhere else.
        Assert.InRange(moved, 1000, 2500);
    }

    [Fact]
    public void Removing_a_node_moves_only_its_own_keys()
    {
        var before = HashRing.Build(Five);
        var after = HashRing.Build(Five.Where(n => n != "n3"));
        var moved = 0;
        foreach (var key in Keys)
        {
            var old = before.PreferenceList(key, 1)[0];
            var now = after.PreferenceList(key, 1)[0];
            if (old != "n3")
            {
                Assert.Equal(old, now);
            }
            else
            {
                // A key of the removed node goes to its first fallback.
                Assert.Equal(before.Walk(key)[1], now);
                moved++;
            }

            Assert.Equal(before.Walk(key).Where(n => n != "n3"), after.Walk(key));
        }

        Assert.InRange(moved, 1000, 3000);
    }

    [Fact]
    public void Sixty_four_tokens_spread_three_nodes_evenly_enough()
    {
        var ownership = HashRing.Build(["a", "b", "c"]).PrimaryOwnership();
        Assert.Equal(["a", "b", "c"], ownership.Keys.Order(StringComparer.Ordinal));
        Assert.All(ownership.Values, share => Assert.InRange(share, 0.2, 0.47));
        Assert.Equal(1.0, ownership.Values.Sum(), 12);
    }

    [Fact]
    public void Primary_ownership_matches_the_share_of_keys_each_node_gets()
    {
        var ring = HashRing.Build(Five);
        var ownership = ring.PrimaryOwnership();
        var counts = Keys.GroupBy(k => ring.PreferenceList(k, 1)[0]).ToDictionary(g => g.Key, g => g.Count());
        Assert.All(Five, n => Assert.InRange(counts[n] / (double)Keys.Length, ownership[n] - 0.02, ownership[n] + 0.02));
    }

    [Fact]
    public void With_as_many_replicas_as_nodes_every_node_holds_everything()
    {
        var ownership = HashRing.Build(["a", "b", "c"]).ReplicaOwnership(3);
        Assert.Equal(3, ownership.Count);
        Assert.All(ownership.Values, share => Assert.Equal(1.0, share));
        Assert.All(HashRing.Build(["a", "b"]).ReplicaOwnership(3).Values, share => Assert.Equal(1.0, share));
    }

    [Fact]
    public void Replica_shares_sum_to_the_replica_count()
    {
        var ring = HashRing.Build(Five, tokensPerNode: 16);
        var ownership = ring.ReplicaOwnership(2);
        Assert.All(ownership.Values, share => Assert.InRange(share, 0.0, 1.0));
        Assert.Equal(2.0, ownership.Values.Sum(), 12);
        Assert.Equal(1.0, ring.ReplicaOwnership(1).Values.Sum(), 12);
        Assert.Equal(ring.PrimaryOwnership(), ring.ReplicaOwnership(1));

        // The share is the fraction of keys whose preference list names the node.
        var counts = Five.ToDictionary(n => n, n => Keys.Count(k => ring.PreferenceList(k, 2).Contains(n)));
        Assert.All(Five, n => Assert.InRange(counts[n] / (double)Keys.Length, ownership[n] - 0.02, ownership[n] + 0.02));
    }

    [Fact]
    public void The_empty_ring_places_nothing()
    {
        foreach (var ring in new[] { HashRing.Empty, HashRing.Build([]) })
        {
            Assert.Empty(ring.Nodes);
            Assert.Equal(0, ring.TokenCount);
            Assert.Empty(ring.Walk("k"u8));
            Assert.Empty(ring.PreferenceList("k"u8, 3));
            Assert.Empty(ring.PrimaryOwnership());
            Assert.Empty(ring.ReplicaOwnership(3));
        }

        Assert.Equal(HashRing.DefaultTokensPerNode, HashRing.Empty.TokensPerNode);
    }

    [Fact]
    public void One_node_owns_the_whole_ring()
    {
        var ring = HashRing.Build(["solo"], tokensPerNode: 1);
        Assert.Equal(["solo"], ring.PreferenceList("k"u8, 3));
        Assert.Equal(1.0, ring.PrimaryOwnership()["solo"]);
        Assert.Equal(1.0, ring.ReplicaOwnership(3)["solo"]);
    }

    [Fact]
    public void A_hash_above_the_last_token_wraps_to_the_first()
    {
        // One token each: the circle is a, b, c in the order of their tokens.
        var nodes = new[] { "a", "b", "c" };
        var ring = HashRing.Build(nodes, tokensPerNode: 1);
        var byToken = nodes.Select(n => (Token: HashRing.Token(n, 0), Node: n)).OrderBy(t => t.Token).ToArray();
        Assert.Equal(XxHash64.HashToUInt64("a#0"u8), HashRing.Token("a", 0));
        var (first, second, third) = (byToken[0], byToken[1], byToken[2]);
        string[] fromFirst = [first.Node, second.Node, third.Node];

        Assert.Equal(fromFirst, ring.WalkAt(third.Token + 1));
        Assert.Equal(fromFirst, ring.WalkAt(ulong.MaxValue));
        Assert.Equal(fromFirst, ring.WalkAt(0));
        Assert.Equal(fromFirst, ring.WalkAt(first.Token));
        Assert.Equal([second.Node, third.Node, first.Node], ring.WalkAt(first.Token + 1));
        Assert.Equal([third.Node, first.Node], ring.PreferenceListAt(third.Token, 2));

        // A real key past the last token lands on the first, too.
        var key = Keys.First(k => HashRing.KeyHash(k) > third.Token);
        Assert.Equal(first.Node, ring.PreferenceList(key, 1)[0]);
    }

    [Fact]
    public void Bad_arguments_are_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => HashRing.Build(Five, tokensPerNode: 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => HashRing.Build(Five, tokensPerNode: HashRing.MaxTokensPerNode + 1));
        Assert.Throws<ArgumentException>(() => HashRing.Build(["a", ""]));
        Assert.Throws<ArgumentOutOfRangeException>(() => HashRing.Build(Five).PreferenceList("k"u8, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => HashRing.Build(Five).ReplicaOwnership(0));
    }

    [Fact]
    public void Large_replica_counts_use_the_same_walk()
    {
        // More than eight wanted nodes switches duplicate detection to a bitset; the answer must not change.
        var nodes = Enumerable.Range(0, 100).Select(i => $"node-{i:D3}").ToArray();
        var ring = HashRing.Build(nodes, tokensPerNode: 8);
        foreach (var key in Keys.Take(200))
        {
            var oracle = OracleWalk(nodes, 8, HashRing.KeyHash(key));
            Assert.Equal(oracle, ring.Walk(key));
            Assert.Equal(oracle.Take(9), ring.PreferenceList(key, 9));
            Assert.Equal(oracle.Take(8), ring.PreferenceList(key, 8));
        }
    }

    /// <summary>CsCheck picks the seed and prints it on failure; pass it as seed to replay.</summary>
    [Fact]
    public void Preference_lists_are_distinct_prefixes_of_the_walk() =>
        Gen.Select(Gen.Int[1, 12], Gen.Int[1, 16], Gen.Byte.Array[0, 24], Gen.Int[1, 14]).Sample(
            (nodeCount, tokens, key, n) =>
            {
                var ring = HashRing.Build(Enumerable.Range(0, nodeCount).Select(i => $"n{i}"), tokens);
                var walk = ring.Walk(key);
                var list = ring.PreferenceList(key, n);
                return walk.Count == nodeCount
                    && walk.Distinct().Count() == nodeCount
                    && list.Count == Math.Min(n, nodeCount)
                    && list.SequenceEqual(walk.Take(n));
            },
            iter: 2000);
}
