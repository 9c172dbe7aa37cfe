using KvStore.Core.Crdt;
using KvStore.Core.Membership;

namespace KvStore.Cluster.Replication;

public sealed partial class Coordinator
{
    /// <summary>
    /// Reads the key from its replicas: asks every replica that is up, answers with the merge of
    /// the first R replies, and afterwards sends the merge of all replies to each replica that
    /// answered with less (read repair).
    /// </summary>
    /// <exception cref="ReplicaUnavailableException">Fewer than R replicas answered.</exception>
    public async Task<KvObject?> ReadAsync(byte[] key, ConsistencyLevel level, CancellationToken cancellationToken)
    {
        Enter();
        var released = false;
        try
        {
            var table = router.Current;
            var replicas = table.PreferenceList(key);
            var needed = _options.ReadsNeeded(level, replicas.Count);
            var asked = new List<Member>(replicas.Count);
            foreach (var r in replicas)
            {
                if (r.Id == table.SelfId || table.IsAlive(r.Id))
                {
                    asked.Add(r);
                }
            }

            if (asked.Count < needed)
            {
                throw new ReplicaUnavailableException(
                    $"only {asked.Count} of {replicas.Count} replicas of the key are up ({needed} needed)");
            }

            var quorum = new ReadQuorum(needed, asked.Count);
            var reads = new List<Task<KvObject?>>(asked.Count);
            foreach (var r in asked)
            {
                reads.Add(ReadOneAsync(r, key, quorum));
            }

            released = true;
            FinishInBackground(RepairAsync(key, asked, reads), "read repair");

            var (answered, merged) = await quorum.WaitAsync(cancellationToken);
            if (answered < needed)
            {
                throw new ReplicaUnavailableException(
                    $"only {answered} of {replicas.Count} replicas answered the read ({needed} needed)");
            }

            return merged;
        }
        finally
        {
            if (!released)
            {
                Release();
            }
        }
    }

    /// <summary>One replica's object, also counted in <paramref name="quorum"/>; throws <see cref="PeerUnreachableException"/> when it does not answer in time.</summary>
    private async Task<KvObject?> ReadOneAsync(Member target, byte[] key, ReadQuorum quorum)
    {
        try
        {
            var obj = await ReadOneAsync(target, key);
            quorum.Answer(obj);
            return obj;
        }
        catch
        {
            quorum.Miss();
            throw;
        }
    }

    /// <summary>One replica's object; throws <see cref="PeerUnreachableException"/> when it does not answer in time.</summary>
    private async Task<KvObject?> ReadOneAsync(Member target, byte[] key)
    {
        if (target.Id == SelfId)
        {
            return replica.ReadForQuorum(key);
        }

        try
        {
            using var deadline = PeerDeadline();
            return (await peers.ReadAsync(target, key, false, deadline.Token)).Object;
        }
        catch (PeerUnreachableException)
        {
            counters.PeerFailure();
            throw;
        }
    }

    /// <summary>Waits for every reply, then brings each replica that answered with less up to the merge of all.</summary>
    private async Task RepairAsync(byte[] key, List<Member> asked, List<Task<KvObject?>> reads)
    {
        try
        {
            await Task.WhenAll(reads);
        }
        catch (PeerUnreachableException)
        {
            // The replicas that did not answer are left to hints and anti-entropy.
        }

        KvObject? merged = null;
        foreach (var read in reads)
        {
            if (read.IsCompletedSuccessfully)
            {
                merged = MergeAll(merged, read.Result);
            }
        }

        if (merged is null)
        {
            return;
        }

        var repairs = new List<Task>();
        for (var i = 0; i < asked.Count; i++)
        {
            if (reads[i].IsCompletedSuccessfully && !merged.Equals(reads[i].Result))
            {
                counters.ReadRepair();
                repairs.Add(RepairOneAsync(asked[i], key, merged));
            }
        }

        await Task.WhenAll(repairs);
    }

    private async Task RepairOneAsync(Member target, byte[] key, KvObject merged)
    {
        try
        {
            if (target.Id == SelfId)
            {
                await replica.MergeAsync(key, merged, CancellationToken.None);
                return;
            }

            using var deadline = PeerDeadline();
            await peers.MergeAsync(target, key, merged, null, deadline.Token);
        }
        catch (PeerUnreachableException e)
        {
            counters.PeerFailure();
            LogReplicaMissed(logger, target.Id, KeyText(key), e.Message);
        }
    }

    /// <summary>
    /// Merges the first replies of one read and completes, with the replies counted and their merge,
    /// once enough replicas answered or every replica has answered or failed.
    /// </summary>
    private sealed class ReadQuorum(int needed, int replicas)
    {
        private readonly TaskCompletionSource<(int Answered, KvObject? Merged)> _reached = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly Lock _lock = new();
        private int _answered;
        private int _finished;
        private KvObject? _merged;

        public Task<(int Answered, KvObject? Merged)> Reached => _reached.Task;

        /// <summary>Waits for <see cref="Reached"/> or the caller's cancellation, resuming where the caller awaited (see WriteQuorum.WaitAsync).</summary>
        public async Task<(int Answered, KvObject? Merged)> WaitAsync(CancellationToken cancellationToken)
        {
            using (cancellationToken.Register(() => _reached.TrySetCanceled(cancellationToken)))
            {
                return await _reached.Task;
            }
        }

        public void Answer(KvObject? obj) => Finish(true, obj);

        public void Miss() => Finish(false, null);

        private void Finish(bool answered, KvObject? obj)
        {
            lock (_lock)
            {
                _finished++;
                if (_answered >= needed)
                {
                    return;
                }

                if (answered)
                {
                    _answered++;
                    try
                    {
                        _merged = MergeAll(_merged, obj);
                    }
                    catch (MutationRejectedException e)
                    {
                        // The replicas hold different types: the read fails with that, not as unavailable.
                        _answered = needed;
                        _reached.TrySetException(e);
                        return;
                    }
                }

                if (_answered >= needed || _finished == replicas)
                {
                    _reached.TrySetResult((_answered, _merged));
                }
            }
        }
    }
}
