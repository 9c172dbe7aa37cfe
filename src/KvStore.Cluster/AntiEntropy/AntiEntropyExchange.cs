using KvStore.Cluster.Replication;
using KvStore.Core.AntiEntropy;
using KvStore.Core.Crdt;
using KvStore.Core.Membership;
using KvStore.Core.Serialization;
using Microsoft.Extensions.Options;

namespace KvStore.Cluster.AntiEntropy;

/// <summary>
/// One exchange between this node and a peer over the ranges both replicate (Merkle 1987; the
/// incremental, XOR-leaved trees of Riak's Tictac AAE). It descends the two trees clipped to the
/// ranges, 16 children per differing node, from the root to the leaf segments; lists the keys of
/// the differing leaves on both sides; and repairs each differing key in both directions through
/// the merge every replica path uses: the peer's object is merged here, and what this node then
/// holds is merged there. Afterwards both replicas hold the same objects for every key that
/// differed (unless a write raced the exchange, which the next one picks up). Nothing is ever
/// overwritten or deleted, so an exchange cannot lose a write, only spread it.
/// </summary>
public sealed class AntiEntropyExchange
{
    /// <summary>Segments whose keys one listing request asks for.</summary>
    private const int SegmentsPerListing = 256;

    /// <summary>Entries asked for per listing page.</summary>
    private const int EntriesPerPage = 1024;

    /// <summary>Keys repaired at once: enough to hide round trips, few enough not to crowd out client traffic.</summary>
    private const int RepairParallelism = 16;

    private readonly LocalReplica _replica;
    private readonly IMerkleSource _local;
    private readonly IPeerTransport _peers;
    private readonly IAntiEntropyTransport _trees;
    private readonly AntiEntropyOptions _options;
    private readonly TimeSpan _peerTimeout;
    private readonly TimeProvider _time;
    private readonly ByteRate _rate;

    public AntiEntropyExchange(
        LocalReplica replica,
        IMerkleSource local,
        IPeerTransport peers,
        IAntiEntropyTransport trees,
        IOptions<AntiEntropyOptions> options,
        IOptions<ReplicationOptions> replication,
        TimeProvider time)
    {
        _replica = replica;
        _local = local;
        _peers = peers;
        _trees = trees;
        _options = options.Value;
        _peerTimeout = replication.Value.PeerTimeout;
        _time = time;
        _rate = new ByteRate(_options.MaxBytesPerSecond, time);
    }

    /// <summary>Runs one exchange to the end, or until the peer fails; the report says which, and never throws for the peer's failure.</summary>
    public async Task<ExchangeReport> RunAsync(Member peer, HashRanges ranges, CancellationToken cancellationToken)
    {
        var run = new Run(this, peer, ranges, _time.GetUtcNow(), _time.GetTimestamp());
        try
        {
            await run.ExecuteAsync(cancellationToken);
            return run.Report(null);
        }
        catch (Exception e) when (e is PeerUnreachableException or RequestRejectedException || (e is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            return run.Report(e is OperationCanceledException ? "the peer did not answer in time" : e.Message);
        }
    }

    private enum Side
    {
        Mine,
        Theirs,
        Both,
    }

    /// <summary>The state of one exchange: what it found and the bytes it moved.</summary>
    private sealed class Run(AntiEntropyExchange owner, Member peer, HashRanges ranges, DateTimeOffset started, long startedAt)
    {
        private long _sent;
        private long _received;
        private int _depth;
        private int _segments;
        private int _differing;
        private int _fetched;
        private int _pushed;
        private int _refused;
        private bool _truncated;

        public ExchangeReport Report(string? error) => new(
            peer.Id, started, owner._time.GetElapsedTime(startedAt), ranges.Fraction, _depth, _segments, _differing,
            _fetched, _pushed, _refused, Interlocked.Read(ref _sent), Interlocked.Read(ref _received), _truncated, error);

        public async Task ExecuteAsync(CancellationToken cancellationToken)
        {
            var segments = await DescendAsync(cancellationToken);
            _segments = segments.Count;
            var budget = owner._options.MaxKeysPerExchange;
            for (var i = 0; i < segments.Count && budget > 0; i += SegmentsPerListing)
            {
                var chunk = segments.GetRange(i, Math.Min(SegmentsPerListing, segments.Count - i));
                var diffs = await DiffKeysAsync(chunk, cancellationToken);
                _differing += diffs.Count;
                if (diffs.Count > budget)
                {
                    diffs = diffs.GetRange(0, budget);
                    _truncated = true;
                }

                budget -= diffs.Count;
                await RepairAllAsync(diffs, cancellationToken);
            }

            if (budget <= 0 && _segments > 0)
            {
                _truncated = true;
            }
        }

        /// <summary>Compares the clipped trees top-down; returns the differing leaf segments, ascending.</summary>
        private async Task<List<int>> DescendAsync(CancellationToken cancellationToken)
        {
            List<int> parents = [];
            for (var depth = 0; depth <= Segments.LeafDepth; depth++)
            {
                _depth = depth;
                var theirs = await TreeNodesAsync(depth, parents, cancellationToken);
                var mine = RangeTree.Children(owner._local, ranges, depth, parents);
                if (theirs.Length != mine.Length)
                {
                    throw new RequestRejectedException($"{peer.Id} sent {theirs.Length} tree hashes for {mine.Length} nodes");
                }

                var differing = new List<int>();
                for (var i = 0; i < mine.Length; i++)
                {
                    if (mine[i] != theirs[i])
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

        /// <summary>Lists both sides' keys in the segments and returns the keys that differ, in ring order.</summary>
        private async Task<List<(byte[] Key, Side Side)>> DiffKeysAsync(List<int> segments, CancellationToken cancellationToken)
        {
            var mine = RangeTree.ListKeys(owner._local, ranges, segments, null, int.MaxValue, out _);
            var theirs = new Dictionary<byte[], ulong>(ByteOrder.Instance);
            byte[]? after = null;
            while (true)
            {
                var page = await KeyHashesAsync(segments, after, cancellationToken);
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

            var diffs = new List<(byte[], Side)>();
            foreach (var entry in mine)
            {
                if (!theirs.Remove(entry.Key, out var hash))
                {
                    diffs.Add((entry.Key, Side.Mine));
                }
                else if (hash != entry.Hash)
                {
                    diffs.Add((entry.Key, Side.Both));
                }
            }

            foreach (var key in theirs.Keys)
            {
                diffs.Add((key, Side.Theirs));
            }

            return diffs;
        }

        /// <summary>
        /// Repairs the keys with at most <see cref="RepairParallelism"/> in flight. Plain awaits
        /// rather than Parallel.ForEachAsync: the repairs wait on the network, not the CPU, and the
        /// work stays on the caller's context, so a single-threaded simulation can run it.
        /// </summary>
        private async Task RepairAllAsync(List<(byte[] Key, Side Side)> diffs, CancellationToken cancellationToken)
        {
            var next = -1;
            async Task WorkAsync()
            {
                int i;
                while ((i = Interlocked.Increment(ref next)) < diffs.Count)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    await RepairAsync(diffs[i].Key, diffs[i].Side, cancellationToken);
                }
            }

            var workers = new Task[Math.Min(RepairParallelism, diffs.Count)];
            for (var w = 0; w < workers.Length; w++)
            {
                workers[w] = WorkAsync();
            }

            await Task.WhenAll(workers);
        }

        /// <summary>Makes both replicas hold the merge of the two objects of one key.</summary>
        private async Task RepairAsync(byte[] key, Side side, CancellationToken cancellationToken)
        {
            try
            {
                var mine = owner._replica.Read(key);
                if (side != Side.Mine)
                {
                    var theirs = await FetchAsync(key, cancellationToken);
                    if (theirs is not null)
                    {
                        mine = await owner._replica.MergeAsync(key, theirs, cancellationToken);
                        Interlocked.Increment(ref _fetched);
                        if (mine is null || mine.Equals(theirs))
                        {
                            return;
                        }
                    }
                }

                if (mine is not null)
                {
                    await PushAsync(key, mine, cancellationToken);
                    Interlocked.Increment(ref _pushed);
                }
            }
            catch (MutationRejectedException)
            {
                // Different types for the key on the two replicas, or a merge past a bound: no merge
                // can settle it, and the other keys must still be repaired.
                Interlocked.Increment(ref _refused);
            }
        }

        private async Task<ulong[]> TreeNodesAsync(int depth, IReadOnlyList<int> parents, CancellationToken cancellationToken)
        {
            await SendAsync(AntiEntropyWire.TreeRequest(ranges.Intervals.Length, depth, parents), cancellationToken);
            using var deadline = Deadline(cancellationToken);
            var hashes = await owner._trees.TreeNodesAsync(peer, ranges, depth, parents, deadline.Token);
            await ReceiveAsync(AntiEntropyWire.TreeResponse(hashes.Length), cancellationToken);
            return hashes;
        }

        private async Task<KeyHashPage> KeyHashesAsync(List<int> segments, byte[]? after, CancellationToken cancellationToken)
        {
            await SendAsync(AntiEntropyWire.KeyHashesRequest(ranges.Intervals.Length, segments, after, EntriesPerPage), cancellationToken);
            using var deadline = Deadline(cancellationToken);
            var page = await owner._trees.KeyHashesAsync(peer, ranges, segments, after, EntriesPerPage, deadline.Token);
            await ReceiveAsync(AntiEntropyWire.KeyHashesResponse(page.Entries, page.More), cancellationToken);
            return page;
        }

        private async Task<KvObject?> FetchAsync(byte[] key, CancellationToken cancellationToken)
        {
            await SendAsync(AntiEntropyWire.ReadRequest(key.Length), cancellationToken);
            using var deadline = Deadline(cancellationToken);
            var read = await owner._peers.ReadAsync(peer, key, includeHints: false, deadline.Token);
            await ReceiveAsync(AntiEntropyWire.ReadResponse(read.Object is null ? 0 : ObjectCodec.Encode(read.Object).Length), cancellationToken);
            return read.Object;
        }

        private async Task PushAsync(byte[] key, KvObject obj, CancellationToken cancellationToken)
        {
            await SendAsync(AntiEntropyWire.MergeRequest(key.Length, ObjectCodec.Encode(obj).Length), cancellationToken);
            using var deadline = Deadline(cancellationToken);
            await owner._peers.MergeAsync(peer, key, obj, hintFor: null, deadline.Token);
        }

        private Task SendAsync(int bytes, CancellationToken cancellationToken)
        {
            Interlocked.Add(ref _sent, bytes);
            return owner._rate.SpendAsync(bytes, cancellationToken);
        }

        private Task ReceiveAsync(int bytes, CancellationToken cancellationToken)
        {
            Interlocked.Add(ref _received, bytes);
            return owner._rate.SpendAsync(bytes, cancellationToken);
        }

        private PeerDeadline Deadline(CancellationToken cancellationToken) => new(owner._peerTimeout, owner._time, cancellationToken);
    }
}
