using KvStore.Cluster.Handoff;
using KvStore.Cluster.Routing;
using KvStore.Core.Membership;

namespace KvStore.Server.Admin;

/// <summary>
/// /debug/handoff: the options in force, whether this node is leaving, and every transfer it runs
/// or ran lately, unfinished first, with its progress. POST /cluster/leave: the node leaves as on
/// SIGTERM, handing its ranges over before it exits.
/// </summary>
internal static class HandoffView
{
    public static IResult Render(HandoffService service, Router router)
    {
        var table = router.Current;
        var options = service.Options;
        var transfers = service.Transfers;
        return Results.Json(new
        {
            node = table.SelfId,
            leaving = table.Find(table.SelfId)?.State == MemberState.Left,
            enabled = options.Enabled,
            maxBytesPerSecond = options.MaxBytesPerSecond,
            maxConcurrentTransfers = options.MaxConcurrentTransfers,
            retryDelay = options.RetryDelay.ToString(),
            leaveTimeout = options.LeaveTimeout.ToString(),
            unfinished = transfers.Count(t => t.State is TransferState.Pending or TransferState.Running or TransferState.Failed),
            transfers = transfers.Select(t => new
            {
                id = t.Id,
                target = t.Target,
                state = Name(t.State),
                share = Math.Round(t.RingFraction, 6),
                segmentsDone = t.SegmentsDone,
                segmentsTotal = t.SegmentsTotal,
                keysSent = t.KeysSent,
                keysRefused = t.KeysRefused,
                bytes = t.Bytes,
                attempts = t.Attempts,
                created = t.Created,
                finished = t.Finished,
                error = t.Error,
            }),
        });
    }

    /// <summary>Starts a graceful leave: the answer comes at once, the node stops once its ranges are handed over (or the leave timeout passed).</summary>
    public static IResult Leave(IHostApplicationLifetime lifetime, Router router)
    {
        lifetime.StopApplication();
        return Results.Json(new { node = router.Current.SelfId, status = "leaving" }, statusCode: StatusCodes.Status202Accepted);
    }

    public static string Name(TransferState state) => state switch
    {
        TransferState.Pending => "pending",
        TransferState.Running => "running",
        TransferState.Done => "done",
        TransferState.Failed => "failed",
        TransferState.Abandoned => "abandoned",
        _ => "unknown",
    };
}
