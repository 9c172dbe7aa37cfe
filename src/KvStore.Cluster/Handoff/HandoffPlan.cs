using KvStore.Cluster.Routing;
using KvStore.Core.AntiEntropy;
using KvStore.Core.Membership;
using KvStore.Core.Ring;

namespace KvStore.Cluster.Handoff;

/// <summary>Ranges this node owes one target after a routing change.</summary>
public sealed record OwedRanges(string Target, HashRanges Ranges);

/// <summary>
/// What a routing change obliges this node to push, and to whom: a pure function of the table
/// before and the table after (riak_core computes its handoffs the same way, from the old and the
/// new ring). For every stretch of the ring this node replicated before the change:
/// <list type="bullet">
/// <item>the owners it wants now are the first N <em>serving</em> members (alive or suspect) of its
/// clockwise walk on the new ring. A member that joined is among them where it took tokens; a
/// member declared dead stays on the ring but is skipped, so the next live node stands in for it
/// (restoring N live copies); a member that left is off the ring, so its successor takes its place.</item>
/// <item>each wanted owner that was not a replica before is a target;</item>
/// <item>every replica of the old list pushes, not one chosen among them: replicas need not hold the
/// same data when the ring changes (one may have come back empty after losing its disk, or missed
/// writes that anti-entropy has not brought yet), and an acknowledged write on the only copy that
/// did not push would be stranded on a node no longer asked for the key. The pushes overlap, but a
/// push only moves keys whose hashes still differ, and merging a key twice changes nothing.</item>
/// </list>
/// A dead member that comes back needs nothing: it was a replica before, so it is no target, and
/// hinted handoff and anti-entropy bring it up to date. Its stand-in keeps the copy it was given,
/// outside its preference list, where no read or exchange looks at it: that is the cost of the
/// restore, 1/N of the dead member's data on each stand-in, until the dead member is reaped (then
/// the stand-in inherits the range and the copy is already in place) or the stand-in's store is wiped.
/// A node that starts on a data directory first routes with a table of itself alone; when it learns
/// the others it owes them everything it holds, so it pushes what they lack (writes only it
/// received before it stopped): a tree descent per peer, which costs one round trip where the
/// trees already agree.
/// </summary>
public static class HandoffPlan
{
    /// <summary>Whether a member counts as a live copy: every state but dead and left.</summary>
    public static bool Serves(Member? member) => member is { State: MemberState.Alive or MemberState.Suspect };

    /// <summary>The transfers this node owes after the change from <paramref name="before"/> to <paramref name="after"/>, by target, in target order.</summary>
    public static IReadOnlyList<OwedRanges> Compute(RoutingTable before, RoutingTable after)
    {
        var self = after.SelfId;
        var n = after.ReplicationFactor;
        var old = before.Ring.Ranges(n);

        // The first N serving members of a walk lie within its first N + (members on the ring that
        // do not serve) distinct nodes; a walk over every node would cost the ring size per range.
        var notServing = after.Ring.Nodes.Count(id => !Serves(after.Find(id)));
        var walks = after.Ring.Ranges(Math.Max(1, Math.Min(after.Ring.Nodes.Count, n + notServing)));
        var owed = new SortedDictionary<string, List<HashInterval>>(StringComparer.Ordinal);
        if (old.Count == 0 || walks.Count == 0)
        {
            return [];
        }

        // Both lists cut the whole ring into ascending intervals; walk them together and judge
        // every piece where neither changes.
        int i = 0, j = 0;
        var start = 0UL;
        while (true)
        {
            var a = old[i];
            var b = walks[j];
            var end = Math.Min(a.Interval.Last, b.Interval.Last);
            foreach (var target in Targets(a, b.Replicas, self, n, after))
            {
                (owed.TryGetValue(target, out var list) ? list : owed[target] = []).Add(new HashInterval(start, end));
            }

            if (end == ulong.MaxValue)
            {
                break;
            }

            start = end + 1;
            if (a.Interval.Last == end)
            {
                i++;
            }

            if (b.Interval.Last == end)
            {
                j++;
            }
        }

        return owed.Select(p => new OwedRanges(p.Key, HashRanges.Of(p.Value))).ToList();
    }

    private static IEnumerable<string> Targets(RingRange old, IReadOnlyList<string> walk, string self, int n, RoutingTable after)
    {
        if (!old.Replicas.Contains(self))
        {
            yield break;
        }

        foreach (var wanted in walk.Where(m => Serves(after.Find(m))).Take(n))
        {
            if (wanted != self && !old.Replicas.Contains(wanted))
            {
                yield return wanted;
            }
        }
    }
}
