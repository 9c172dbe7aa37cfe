using KvStore.Cluster.AntiEntropy;
using KvStore.Cluster.Routing;
using KvStore.Core.AntiEntropy;

namespace KvStore.Server.Admin;

/// <summary>
/// /debug/antientropy: the options in force, this node's tree root, the totals, and per peer that
/// shares ranges with this node the share of the ring they compare and the latest exchange.
/// </summary>
internal static class AntiEntropyView
{
    public static IResult Render(AntiEntropyService service, AntiEntropyCounters counters, Router router, IMerkleSource tree)
    {
        var table = router.Current;
        var options = service.Options;
        var last = service.LastExchanges;
        return Results.Json(new
        {
            node = table.SelfId,
            enabled = options.Enabled,
            interval = options.Interval.ToString(),
            jitter = options.Jitter,
            maxConcurrentExchanges = options.MaxConcurrentExchanges,
            maxBytesPerSecond = options.MaxBytesPerSecond,
            maxKeysPerExchange = options.MaxKeysPerExchange,

            // The XOR of every key's hash this node holds: two nodes holding the same keys and objects show the same root.
            root = tree.NodeHash(0, 0).ToString("x16"),
            totals = new
            {
                exchanges = counters.Exchanges,
                failed = counters.Failed,
                segmentsDiffering = counters.SegmentsDiffering,
                keysDiffering = counters.KeysDiffering,
                keysFetched = counters.KeysFetched,
                keysPushed = counters.KeysPushed,
                keysRefused = counters.KeysRefused,
                bytesSent = counters.BytesSent,
                bytesReceived = counters.BytesReceived,
            },
            peers = table.SharedRanges.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => new
            {
                peer = p.Key,
                state = table.Find(p.Key) is { } m ? MemberStates.Name(m.State) : "unknown",
                share = Math.Round(p.Value.Fraction, 6),
                ranges = p.Value.Intervals.Length,
                last = last.TryGetValue(p.Key, out var r) ? Describe(r) : null,
            }),
        });
    }

    private static object Describe(ExchangeReport r) => new
    {
        started = r.Started,
        durationMs = Math.Round(r.Duration.TotalMilliseconds, 1),
        depth = r.Depth,
        segmentsDiffering = r.SegmentsDiffering,
        keysDiffering = r.KeysDiffering,
        keysFetched = r.KeysFetched,
        keysPushed = r.KeysPushed,
        keysRefused = r.KeysRefused,
        bytesSent = r.BytesSent,
        bytesReceived = r.BytesReceived,
        truncated = r.Truncated,
        error = r.Error,
    };
}
