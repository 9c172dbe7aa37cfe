using KvStore.Cluster.Tombstones;
using KvStore.Storage;

namespace KvStore.Server.Admin;

/// <summary>
/// /debug/away: whether this node came back after being away longer than the tombstone horizon,
/// and what it did with the data it set aside: deciding (with its peers' answers so far),
/// restoring (n of about m), restored, or kept aside (and why); and, on every node, its latest
/// alive mark and the latest collection it took part in, which returning peers ask for.
/// </summary>
internal static class AwayView
{
    public static IResult Render(AwayRestore away, ResyncGate gate, RocksObjectStore store)
    {
        var status = away.Status;
        return Results.Json(new
        {
            node = store.Actor.Node,
            phase = Name(status.Phase),
            readsRefused = gate.IsResyncing,
            lastAlive = status.LastAlive,
            lastAliveMark = store.LastAlive,
            lastCollection = store.LastCollection,
            aside = status.AsidePath,
            restored = status.Restored,
            total = status.Total,
            refused = status.Rejected,
            answers = status.Answers.OrderBy(a => a.Key, StringComparer.Ordinal).Select(a => new { peer = a.Key, lastCollection = a.Value }),
            reason = status.Reason,
        });
    }

    public static string Name(AwayPhase phase) => phase switch
    {
        AwayPhase.None => "none",
        AwayPhase.Deciding => "deciding",
        AwayPhase.Restoring => "restoring",
        AwayPhase.Restored => "restored",
        AwayPhase.KeptAside => "kept_aside",
        _ => phase.ToString(),
    };
}
