using KvStore.Cluster.Membership;
using KvStore.Core.AntiEntropy;
using KvStore.Core.Membership;
using KvStore.Core.Ring;

namespace KvStore.Cluster.Routing;

/// <summary>
/// One membership view and the ring derived from it, immutable. Every member that has not left
/// keeps its tokens, even while suspect or dead: a node that is down for a while keeps its keys,
/// and writes meant for it go to fallbacks as hints (Dynamo's sloppy quorum). Its place is given up
/// when it leaves or is reaped.
/// </summary>
public sealed class RoutingTable
{
    private readonly Dictionary<string, Member> _byId;
    private IReadOnlyDictionary<string, HashRanges>? _shared;

    private RoutingTable(MembershipView view, HashRing ring, int replicationFactor)
    {
        View = view;
        Ring = ring;
        ReplicationFactor = replicationFactor;
        _byId = view.Members.ToDictionary(m => m.Id, StringComparer.Ordinal);
    }

    public MembershipView View { get; }

    public HashRing Ring { get; }

    public int ReplicationFactor { get; }

    public string SelfId => View.SelfId;

    /// <summary>Builds the table, reusing <paramref name="previous"/>'s ring when the set of ring members did not change.</summary>
    public static RoutingTable Build(MembershipView view, int replicationFactor, int tokensPerNode, RoutingTable? previous = null)
    {
        // A node keeps itself on its own ring while it leaves: it still holds its data and serves
        // the calls it is draining, while the others already route around it. A view always holds
        // its own node, so no preference list is ever empty.
        var nodes = view.Members.Where(m => OnRing(m) || m.Id == view.SelfId).Select(m => m.Id).ToList();
        var ring = previous is not null && previous.Ring.TokensPerNode == tokensPerNode && previous.Ring.Nodes.SequenceEqual(nodes.Order(StringComparer.Ordinal))
            ? previous.Ring
            : HashRing.Build(nodes, tokensPerNode);
        return new RoutingTable(view, ring, replicationFactor);
    }

    /// <summary>Whether a member holds tokens: every state but left.</summary>
    public static bool OnRing(Member member) => member.State != MemberState.Left;

    public Member? Find(string id) => _byId.GetValueOrDefault(id);

    public bool IsAlive(string id) => Find(id)?.State == MemberState.Alive;

    /// <summary>The key's replicas: the first N distinct ring members clockwise, whatever their state.</summary>
    public IReadOnlyList<Member> PreferenceList(ReadOnlySpan<byte> key)
    {
        var ids = Ring.PreferenceList(key, ReplicationFactor);
        var members = new Member[ids.Count];
        for (var i = 0; i < ids.Count; i++)
        {
            members[i] = _byId[ids[i]];
        }

        return members;
    }

    /// <summary>
    /// For every other node that replicates some of what this node replicates, the part of the
    /// ring they both hold: the union of the ring's ranges (<see cref="HashRing.Ranges"/>) whose
    /// replicas include both. This is what anti-entropy compares between the two. Computed once per table.
    /// </summary>
    public IReadOnlyDictionary<string, HashRanges> SharedRanges => LazyInitializer.EnsureInitialized(ref _shared, () =>
    {
        var intervals = new Dictionary<string, List<HashInterval>>(StringComparer.Ordinal);
        foreach (var range in Ring.Ranges(ReplicationFactor))
        {
            if (!range.Replicas.Contains(SelfId))
            {
                continue;
            }

            foreach (var other in range.Replicas)
            {
                if (other != SelfId)
                {
                    (intervals.TryGetValue(other, out var list) ? list : intervals[other] = []).Add(range.Interval);
                }
            }
        }

        return intervals.ToDictionary(p => p.Key, p => HashRanges.Of(p.Value), StringComparer.Ordinal);
    });

    /// <summary>Ring members after the preference list, clockwise: where writes for a down replica go.</summary>
    public IEnumerable<Member> Fallbacks(ReadOnlySpan<byte> key)
    {
        var walk = Ring.Walk(key);
        var result = new List<Member>(Math.Max(0, walk.Count - ReplicationFactor));
        for (var i = ReplicationFactor; i < walk.Count; i++)
        {
            result.Add(_byId[walk[i]]);
        }

        return result;
    }
}
