using KvStore.Core.Crdt;
using KvStore.Core.Membership;
using KvStore.Storage;

namespace KvStore.Cluster.Replication;

/// <summary>What one node holds for a key, asked live.</summary>
/// <param name="Member">The node.</param>
/// <param name="IsReplica">Whether it is in the key's preference list.</param>
/// <param name="Object">Its stored object, or null.</param>
/// <param name="Hints">Hints it holds for the key, for any target.</param>
/// <param name="Error">Why it did not answer, or null.</param>
public sealed record NodeHolding(Member Member, bool IsReplica, KvObject? Object, IReadOnlyList<Hint> Hints, string? Error);

/// <summary>The debug view of one key across the cluster.</summary>
/// <param name="Holdings">Every alive member's answer, replicas first in preference order.</param>
/// <param name="Merged">The merge of every replica's object (what a read at ALL would answer).</param>
public sealed record KeyInspection(IReadOnlyList<NodeHolding> Holdings, KvObject? Merged);

public sealed partial class Coordinator
{
    /// <summary>
    /// Asks every alive member (the member table is bounded) for its object and its hints for the
    /// key. For operators: it costs one call per member.
    /// </summary>
    public async Task<KeyInspection> InspectAsync(byte[] key, CancellationToken cancellationToken)
    {
        var table = router.Current;
        var replicas = table.PreferenceList(key);
        var others = table.View.Members.Where(m => !Contains(replicas, m.Id) && m.State == MemberState.Alive);
        var targets = replicas.Concat(others).ToList();
        var holdings = await Task.WhenAll(targets.Select(m => HoldingAsync(m, Contains(replicas, m.Id), key, table.IsAlive(m.Id) || m.Id == table.SelfId)));

        KvObject? merged = null;
        foreach (var h in holdings)
        {
            if (h.IsReplica && h.Object is { } obj && (merged is null || merged.Type == obj.Type))
            {
                merged = MergeAll(merged, obj);
            }
        }

        cancellationToken.ThrowIfCancellationRequested();
        return new KeyInspection(holdings, merged);
    }

    private async Task<NodeHolding> HoldingAsync(Member member, bool isReplica, byte[] key, bool up)
    {
        if (member.Id == SelfId)
        {
            return new NodeHolding(member, isReplica, replica.Read(key), hints.HintsForKey(key), null);
        }

        if (!up)
        {
            return new NodeHolding(member, isReplica, null, [], $"not asked: the member is {member.State.ToString().ToLowerInvariant()}");
        }

        try
        {
            using var deadline = PeerDeadline();
            var read = await peers.ReadAsync(member, key, true, deadline.Token);
            return new NodeHolding(member, isReplica, read.Object, read.Hints, null);
        }
        catch (PeerUnreachableException e)
        {
            return new NodeHolding(member, isReplica, null, [], e.Message);
        }
    }
}
