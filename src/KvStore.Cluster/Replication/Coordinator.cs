using KvStore.Cluster.Routing;
using KvStore.Core.Crdt;
using KvStore.Core.Membership;
using KvStore.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace KvStore.Cluster.Replication;

/// <summary>
/// Carries out a client's request on the key's replicas (Dynamo's coordinator). Any node accepts
/// any request: a write is coordinated by a replica of the key, which mints the write's dot, stores
/// it and replicates the resulting object to the other replicas, answering after W
/// acknowledgements; a read asks the replicas, answers after R replies and repairs stale replicas in
/// the background.
/// </summary>
/// <remarks>
/// Split by concern: this file holds the shared parts, <c>Coordinator.Write.cs</c> the write path
/// with sloppy quorum and hints, <c>Coordinator.Read.cs</c> the read path with read repair, and
/// <c>Coordinator.Inspect.cs</c> the debug view of one key.
/// </remarks>
public sealed partial class Coordinator(
    LocalReplica replica,
    IHintStore hints,
    Router router,
    IPeerTransport peers,
    IOptions<ReplicationOptions> options,
    ClusterCounters counters,
    TimeProvider time,
    ILogger<Coordinator> logger)
{
    private readonly ReplicationOptions _options = options.Value;
    private int _pending;

    /// <summary>Requests in flight, including replication still running after the client was answered.</summary>
    public int Pending => Volatile.Read(ref _pending);

    private string SelfId => router.Current.SelfId;

    private static bool Contains(IReadOnlyList<Member> members, string id)
    {
        foreach (var m in members)
        {
            if (m.Id == id)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Takes <paramref name="requests"/> of the <see cref="ReplicationOptions.MaxPendingRequests"/> slots, all or none; the caller releases them with <see cref="Release"/>.</summary>
    private void Enter(int requests = 1)
    {
        if (Interlocked.Add(ref _pending, requests) > _options.MaxPendingRequests)
        {
            Interlocked.Add(ref _pending, -requests);
            counters.Overload();
            throw new OverloadedException($"this node already coordinates {_options.MaxPendingRequests} requests; retry later or through another node");
        }
    }

    private void Release(int requests = 1) => Interlocked.Add(ref _pending, -requests);

    /// <summary>A token that ends one peer call after <see cref="ReplicationOptions.PeerTimeout"/>.</summary>
    private CancellationTokenSource PeerDeadline() => new(_options.PeerTimeout, time);

    /// <summary>Runs the rest of a request in the background; the slot is released when it ends, and nothing it throws is lost silently.</summary>
    private void FinishInBackground(Task work, string what, int requests = 1)
    {
        work.ContinueWith(
            t =>
            {
                Release(requests);
                if (t.Exception is { } e)
                {
                    LogBackgroundFailed(logger, what, e.GetBaseException());
                }
            },
            CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);
    }

    private static KvObject? MergeAll(KvObject? a, KvObject? b) => a is null ? b : b is null ? a : a.Merge(b);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Background {What} failed")]
    private static partial void LogBackgroundFailed(ILogger logger, string what, Exception error);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Replica {Peer} did not take key {Key}: {Reason}")]
    private static partial void LogReplicaMissed(ILogger logger, string peer, string key, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Replica {Peer} refused key {Key}: {Reason}")]
    private static partial void LogReplicaRefused(ILogger logger, string peer, string key, string reason);

    private static string KeyText(byte[] key) => Convert.ToHexString(key, 0, Math.Min(key.Length, 32));
}
