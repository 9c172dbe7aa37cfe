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
            var asked = replicas.Where(r => r.Id == table.SelfId || table.IsAlive(r.Id)).ToList();
            if (asked.Count < needed)
            {
                throw new ReplicaUnavailableException(
                    $"only {asked.Count} of {replicas.Count} replicas of the key are up ({needed} needed)");
            }

            var reads = asked.Select(r => ReadOneAsync(r, key)).ToList();
            released = true;
            FinishInBackground(RepairAsync(key, asked, reads), "read repair");

            var answered = 0;
            KvObject? merged = null;
            var waiting = new List<Task<KvObject?>>(reads);
            while (answered < needed && waiting.Count > 0)
            {
                var done = await Task.WhenAny(waiting).WaitAsync(cancellationToken);
                waiting.Remove(done);
                if (done.IsCompletedSuccessfully)
                {
                    answered++;
                    merged = MergeAll(merged, done.Result);
                }
            }

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

    /// <summary>One replica's object; throws <see cref="PeerUnreachableException"/> when it does not answer in time.</summary>
    private async Task<KvObject?> ReadOneAsync(Member target, byte[] key)
    {
        if (target.Id == SelfId)
        {
            return replica.Read(key);
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
}
