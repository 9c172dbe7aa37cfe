using KvStore.Cluster.Routing;
using KvStore.Core.Crdt;
using KvStore.Core.Membership;

namespace KvStore.Cluster.Replication;

public sealed partial class Coordinator
{
    /// <summary>
    /// Applies a client's mutation to the key's replicas and returns the object the coordinating
    /// replica stored (null when the key is still absent).
    /// </summary>
    /// <exception cref="ReplicaUnavailableException">Fewer than the level's acknowledgements arrived; the write may still exist on some replicas.</exception>
    /// <exception cref="OverloadedException">Too many requests in flight on this node.</exception>
    public async Task<KvObject?> WriteAsync(byte[] key, Mutation mutation, ConsistencyLevel level, CancellationToken cancellationToken)
    {
        var table = router.Current;
        var replicas = table.PreferenceList(key);
        if (Contains(replicas, table.SelfId))
        {
            return await CoordinateAsync(key, mutation, level, cancellationToken);
        }

        // Who mints the dot: a replica of the key, so a key's version vector names only its
        // replicas. Ask them in ring order. Only a call that never reached its target moves on to
        // the next replica: one that may have run would run the mutation twice, with a new dot,
        // and a repeated delete or overwrite could erase writes made in between.
        foreach (var target in replicas)
        {
            if (!table.IsAlive(target.Id))
            {
                continue;
            }

            try
            {
                counters.Forward();
                using var deadline = new PeerDeadline(_options.PeerTimeout * ForwardTimeoutFactor, time, cancellationToken);
                return await peers.CoordinateAsync(target, key, mutation, level, deadline.Token);
            }
            catch (PeerUnreachableException e) when (e.NotDelivered && !cancellationToken.IsCancellationRequested)
            {
                counters.PeerFailure();
                LogReplicaMissed(logger, target.Id, KeyText(key), e.Message);
            }
            catch (PeerUnreachableException e) when (!cancellationToken.IsCancellationRequested)
            {
                counters.PeerFailure();
                throw new ReplicaUnavailableException(
                    $"replica {target.Id}, which coordinates this key's writes, did not confirm the write ({e.Message}); it may still have been applied");
            }
        }

        throw new ReplicaUnavailableException(
            $"none of the key's {replicas.Count} replicas could be reached; nothing was written");
    }

    /// <summary>
    /// Coordinates a write on this node: the node stores it (minting the dot), then sends the
    /// stored object to the key's other replicas. A replica that is down or does not answer gets
    /// it as a hint, on the next alive node clockwise (which then counts toward W, Dynamo's sloppy
    /// quorum) or, when there is none, on this node.
    /// </summary>
    public async Task<KvObject?> CoordinateAsync(byte[] key, Mutation mutation, ConsistencyLevel level, CancellationToken cancellationToken)
    {
        Enter();
        var released = false;
        try
        {
            var table = router.Current;
            var replicas = table.PreferenceList(key);
            var needed = _options.WritesNeeded(level, replicas.Count);
            var others = new List<Member>(replicas.Count);
            foreach (var r in replicas)
            {
                if (r.Id != table.SelfId)
                {
                    others.Add(r);
                }
            }

            if (mutation.SeenContext is { } seen && !await CatchUpAsync(key, seen, others, table) && mutation is Mutation.Delete or Mutation.SetRemove)
            {
                // A delete or remove must remove everything its context saw, or what it missed
                // would come back when it arrives here. A put needs no such care: its clock takes in
                // the context, so what the context saw is superseded when it arrives, and its
                // timestamp follows the context's.
                throw new ReplicaUnavailableException(
                    "the replicas holding part of what the context saw did not answer, so the removal could not be applied in full; nothing was changed");
            }

            var stored = await replica.WriteAsync(key, mutation, cancellationToken);
            if (stored is null || others.Count == 0)
            {
                return stored;
            }

            var fallbacks = new FallbackQueue(table, key);

            // This node's own durable write is the first acknowledgement.
            var quorum = new WriteQuorum(needed - 1, others.Count);
            var sends = new Task[others.Count];
            for (var i = 0; i < others.Count; i++)
            {
                sends[i] = ReplicateAsync(key, stored, others[i], table.IsAlive(others[i].Id), fallbacks, quorum);
            }

            // Replication goes on after the client is answered (or gives up); the slot is released when it ends.
            released = true;
            FinishInBackground(Task.WhenAll(sends), "replication");

            var acks = 1 + await quorum.WaitAsync(cancellationToken);
            if (acks < needed)
            {
                throw new ReplicaUnavailableException(
                    $"only {acks} of {replicas.Count} replicas acknowledged the write ({needed} needed); " +
                    "it may still have been applied on some replicas");
            }

            return stored;
        }
        finally
        {
            if (!released)
            {
                Release();
            }
        }
    }

    /// <summary>Sends the stored object to one replica and counts the outcome in <paramref name="quorum"/>.</summary>
    private async Task ReplicateAsync(byte[] key, KvObject stored, Member target, bool alive, FallbackQueue fallbacks, WriteQuorum quorum)
    {
        var acknowledged = false;
        try
        {
            acknowledged = await ReplicateAsync(key, stored, target, alive, fallbacks);
        }
        finally
        {
            quorum.Count(acknowledged);
        }
    }

    /// <summary>Sends the stored object to one replica; true when that counts as an acknowledgement.</summary>
    private async Task<bool> ReplicateAsync(byte[] key, KvObject stored, Member target, bool alive, FallbackQueue fallbacks)
    {
        if (alive)
        {
            try
            {
                using var deadline = PeerDeadline();
                await peers.MergeAsync(target, key, stored, null, deadline.Token);
                return true;
            }
            catch (PeerUnreachableException e)
            {
                counters.PeerFailure();
                LogReplicaMissed(logger, target.Id, KeyText(key), e.Message);
            }
            catch (Exception e) when (e is MutationRejectedException or RequestRejectedException)
            {
                // The replicas disagree on the key's type, or the object passes a bound there: a
                // hint would be refused the same way.
                LogReplicaRefused(logger, target.Id, KeyText(key), e.Message);
                return false;
            }
        }

        while (fallbacks.TryTake(out var fallback))
        {
            try
            {
                using var deadline = PeerDeadline();
                await peers.MergeAsync(fallback, key, stored, target.Id, deadline.Token);
                counters.HintHandedOff();
                return true;
            }
            catch (Exception e) when (e is PeerUnreachableException or ReplicaUnavailableException or RequestRejectedException or MutationRejectedException)
            {
                counters.PeerFailure();
                LogReplicaMissed(logger, fallback.Id, KeyText(key), e.Message);
            }
        }

        // No other node took it: keep the hint here. It is durable, but it is no second copy, so it
        // does not count toward W.
        if (await hints.AddHintAsync(target.Id, key, stored))
        {
            counters.HintStoredLocally();
        }

        return false;
    }

    /// <summary>
    /// Before applying a mutation with a context, makes sure this replica holds what the context
    /// covers: a client may have read other replicas. Without this, a remove or an overwrite would
    /// miss the additions this replica had not received yet, and they would come back when they
    /// arrived. Replicas that do not answer in time are skipped.
    /// </summary>
    /// <returns>Whether this replica now holds everything the context covers.</returns>
    private async Task<bool> CatchUpAsync(byte[] key, CausalContext seen, List<Member> others, RoutingTable table)
    {
        var local = replica.Read(key);
        if (Covers(local, seen))
        {
            return true;
        }

        counters.ContextCatchUp();
        var reads = others.Where(m => table.IsAlive(m.Id)).Select(m => ReadQuietlyAsync(m, key)).ToList();
        foreach (var read in reads)
        {
            if (await read is { } obj && (local is null || local.Type == obj.Type))
            {
                local = await replica.MergeAsync(key, obj, CancellationToken.None);
            }
        }

        return Covers(local, seen);
    }

    private static bool Covers(KvObject? local, CausalContext seen) =>
        local is not null ? local.Clock.Descends(seen.Clock) : seen.Clock.Width == 0;

    /// <summary>A peer's replica of the key, or null when it has none or did not answer.</summary>
    private async Task<KvObject?> ReadQuietlyAsync(Member target, byte[] key)
    {
        try
        {
            using var deadline = PeerDeadline();
            return (await peers.ReadAsync(target, key, false, deadline.Token)).Object;
        }
        catch (PeerUnreachableException e)
        {
            counters.PeerFailure();
            LogReplicaMissed(logger, target.Id, KeyText(key), e.Message);
            return null;
        }
    }

    /// <summary>
    /// Alive nodes after the preference list, each handed out once, for the writes of one request.
    /// Found only when a replica first misses: walking the whole ring on every write would be
    /// wasted while all replicas answer.
    /// </summary>
    private sealed class FallbackQueue(RoutingTable table, byte[] key)
    {
        private readonly Lock _lock = new();
        private Queue<Member>? _queue;

        public bool TryTake(out Member member)
        {
            lock (_lock)
            {
                if (_queue is null)
                {
                    _queue = new Queue<Member>();
                    foreach (var m in table.Fallbacks(key))
                    {
                        if (m.State == MemberState.Alive && m.Id != table.SelfId)
                        {
                            _queue.Enqueue(m);
                        }
                    }
                }

                return _queue.TryDequeue(out member!);
            }
        }
    }

    /// <summary>
    /// Counts the replicas' outcomes of one write and completes, with the acknowledgements so far,
    /// as soon as enough have acknowledged or every replica has answered.
    /// </summary>
    private sealed class WriteQuorum(int needed, int replicas)
    {
        private readonly TaskCompletionSource<int> _reached = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _acks;
        private int _answered;

        public Task<int> Reached => needed <= 0 ? Task.FromResult(0) : _reached.Task;

        /// <summary>
        /// Waits for <see cref="Reached"/> or the caller's cancellation. Cancelling the source rather
        /// than using Task.WaitAsync keeps the continuation where the caller awaited: WaitAsync
        /// would resume it from the thread pool, out of reach of a single-threaded simulation.
        /// </summary>
        public async Task<int> WaitAsync(CancellationToken cancellationToken)
        {
            using (cancellationToken.Register(() => _reached.TrySetCanceled(cancellationToken)))
            {
                return await Reached;
            }
        }

        public void Count(bool acknowledged)
        {
            var acks = acknowledged ? Interlocked.Increment(ref _acks) : Volatile.Read(ref _acks);
            var answered = Interlocked.Increment(ref _answered);
            if (acks >= needed || answered == replicas)
            {
                _reached.TrySetResult(Math.Min(Volatile.Read(ref _acks), Math.Max(needed, 0)));
            }
        }
    }
}
