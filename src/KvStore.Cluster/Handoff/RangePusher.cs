using KvStore.Cluster.AntiEntropy;
using KvStore.Cluster.Replication;
using KvStore.Core.AntiEntropy;
using KvStore.Core.Crdt;
using KvStore.Core.Membership;
using KvStore.Core.Serialization;

namespace KvStore.Cluster.Handoff;

/// <summary>
/// One attempt of a transfer: a one-way anti-entropy exchange over the transfer's ranges. It
/// descends the two clipped trees (<see cref="RangeTree"/>) only where they differ <em>and</em>
/// this node holds keys (a clipped hash of 0 means no keys: nothing to push there), lists both
/// sides' keys in the differing leaf segments, and pushes each key this node holds that the target
/// lacks or holds differently, through the target's ordinary merge. It never reads back or
/// overwrites: what the target holds beyond this node's keys stays as it is, and anti-entropy
/// between the new replicas settles the rest. Because the tree only differs where keys still
/// differ, an attempt after an interrupted one moves only what the first did not.
/// </summary>
internal sealed class RangePusher(
    LocalReplica replica,
    IMerkleSource local,
    IPeerTransport peers,
    IAntiEntropyTransport trees,
    ByteRate rate,
    TimeSpan peerTimeout,
    TimeProvider time)
{
    /// <summary>Segments whose keys one listing covers, as in an anti-entropy exchange.</summary>
    private const int SegmentsPerListing = 256;

    private const int EntriesPerPage = 1024;

    /// <summary>Keys pushed at once: enough to hide round trips, few enough not to crowd out client traffic.</summary>
    private const int PushParallelism = 16;

    /// <summary>Runs one attempt; throws <see cref="PeerUnreachableException"/> and the like when the target fails.</summary>
    public async Task PushAsync(HandoffTransfer transfer, Member target, CancellationToken cancellationToken)
    {
        var ranges = transfer.Ranges;
        var segments = await DescendAsync(transfer, target, ranges, cancellationToken);
        var skipped = segments.Count(s => s <= transfer.Cursor);
        segments = segments.Where(s => s > transfer.Cursor).ToList();
        transfer.SegmentsTotal = skipped + segments.Count;
        transfer.RestartCount(skipped);
        for (var i = 0; i < segments.Count; i += SegmentsPerListing)
        {
            var chunk = segments.GetRange(i, Math.Min(SegmentsPerListing, segments.Count - i));
            var keys = await KeysToPushAsync(transfer, target, ranges, chunk, cancellationToken);
            await PushAllAsync(transfer, target, keys, cancellationToken);
            foreach (var segment in chunk)
            {
                transfer.SegmentDone(segment);
            }
        }
    }

    /// <summary>The leaf segments, ascending, where the trees differ and this node holds keys.</summary>
    private async Task<List<int>> DescendAsync(HandoffTransfer transfer, Member target, HashRanges ranges, CancellationToken cancellationToken)
    {
        List<int> parents = [];
        for (var depth = 0; depth <= Segments.LeafDepth; depth++)
        {
            var mine = RangeTree.Children(local, ranges, depth, parents);
            if (depth == 0 && mine[0] == 0)
            {
                // Nothing of these ranges here: no call at all (a node that just joined owes nothing).
                return [];
            }

            await SpendAsync(transfer, AntiEntropyWire.TreeRequest(ranges.Intervals.Length, depth, parents), cancellationToken);
            ulong[] theirs;
            using (var deadline = Deadline(cancellationToken))
            {
                theirs = await trees.TreeNodesAsync(target, ranges, depth, parents, deadline.Token);
            }

            await SpendAsync(transfer, AntiEntropyWire.TreeResponse(theirs.Length), cancellationToken);
            if (theirs.Length != mine.Length)
            {
                throw new RequestRejectedException($"{target.Id} sent {theirs.Length} tree hashes for {mine.Length} nodes");
            }

            var differing = new List<int>();
            for (var i = 0; i < mine.Length; i++)
            {
                if (mine[i] != theirs[i] && mine[i] != 0)
                {
                    differing.Add(depth == 0 ? 0 : (parents[i / Segments.FanOut] * Segments.FanOut) + (i % Segments.FanOut));
                }
            }

            if (differing.Count == 0)
            {
                return [];
            }

            parents = differing;
        }

        return parents;
    }

    /// <summary>This node's keys in the segments that the target lacks or holds with another hash.</summary>
    private async Task<List<byte[]>> KeysToPushAsync(HandoffTransfer transfer, Member target, HashRanges ranges, List<int> segments, CancellationToken cancellationToken)
    {
        var mine = RangeTree.ListKeys(local, ranges, segments, null, int.MaxValue, out _);
        var theirs = new Dictionary<byte[], ulong>(ByteOrder.Instance);
        byte[]? after = null;
        while (true)
        {
            await SpendAsync(transfer, AntiEntropyWire.KeyHashesRequest(ranges.Intervals.Length, segments, after, EntriesPerPage), cancellationToken);
            KeyHashPage page;
            using (var deadline = Deadline(cancellationToken))
            {
                page = await trees.KeyHashesAsync(target, ranges, segments, after, EntriesPerPage, deadline.Token);
            }

            await SpendAsync(transfer, AntiEntropyWire.KeyHashesResponse(page.Entries, page.More), cancellationToken);
            foreach (var (key, hash) in page.Entries)
            {
                theirs[key] = hash;
            }

            if (!page.More || page.Entries.Count == 0)
            {
                break;
            }

            after = page.Entries[^1].Key;
        }

        return mine.Where(e => !theirs.TryGetValue(e.Key, out var hash) || hash != e.Hash).Select(e => e.Key).ToList();
    }

    /// <summary>
    /// Pushes the keys with at most <see cref="PushParallelism"/> in flight. Each push starts on the
    /// caller's flow, not on the thread pool, so a simulator that controls the transport and the
    /// clock controls the order too. On a failure the pushes already started are awaited first.
    /// </summary>
    private async Task PushAllAsync(HandoffTransfer transfer, Member target, List<byte[]> keys, CancellationToken cancellationToken)
    {
        var inFlight = new List<Task>(PushParallelism);
        try
        {
            foreach (var key in keys)
            {
                cancellationToken.ThrowIfCancellationRequested();
                inFlight.Add(PushKeyAsync(transfer, target, key, cancellationToken));
                if (inFlight.Count == PushParallelism)
                {
                    var done = await Task.WhenAny(inFlight);
                    inFlight.Remove(done);
                    await done;
                }
            }

            await Task.WhenAll(inFlight);
        }
        catch (Exception)
        {
            // Let the pushes already started end before the attempt reports its failure, so none
            // is still writing when a retry starts; the first failure is the one rethrown. On the
            // caller's context like the rest: SuppressThrowing alone would resume on the thread pool.
            await Task.WhenAll(inFlight).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing | ConfigureAwaitOptions.ContinueOnCapturedContext);
            throw;
        }
    }

    private async Task PushKeyAsync(HandoffTransfer transfer, Member target, byte[] key, CancellationToken cancellationToken)
    {
        var obj = replica.Read(key);
        if (obj is null)
        {
            return;
        }

        await SpendAsync(transfer, AntiEntropyWire.MergeRequest(key.Length, ObjectCodec.Encode(obj).Length), cancellationToken);
        try
        {
            using var deadline = Deadline(cancellationToken);
            await peers.MergeAsync(target, key, obj, hintFor: null, deadline.Token);
            transfer.Sent();
        }
        catch (MutationRejectedException)
        {
            // The target holds another type for the key, or the merge passes a bound: no push can
            // settle that, and the other keys must still move.
            transfer.Refused();
        }
    }

    private Task SpendAsync(HandoffTransfer transfer, int bytes, CancellationToken cancellationToken)
    {
        transfer.AddBytes(bytes);
        return rate.SpendAsync(bytes, cancellationToken);
    }

    private PeerDeadline Deadline(CancellationToken cancellationToken) => new(peerTimeout, time, cancellationToken);
}
