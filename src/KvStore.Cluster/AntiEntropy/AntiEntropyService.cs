using System.Collections.Concurrent;
using KvStore.Cluster.Routing;
using KvStore.Core.AntiEntropy;
using KvStore.Core.Membership;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace KvStore.Cluster.AntiEntropy;

/// <summary>
/// Runs exchanges on a timer: every <see cref="AntiEntropyOptions.Interval"/> (with jitter), with
/// the next <see cref="AntiEntropyOptions.MaxConcurrentExchanges"/> alive peers that share ranges
/// with this node, taken in turn, each over all the ranges the two replicate. One exchange per
/// pair of replicas covers every range they share, rather than one per range: the descent costs
/// the same for one range or many, and a quiet pair costs one round trip.
/// </summary>
public sealed partial class AntiEntropyService(
    Router router,
    AntiEntropyExchange exchange,
    IOptions<AntiEntropyOptions> options,
    AntiEntropyCounters counters,
    TimeProvider time,
    ILogger<AntiEntropyService> logger) : IAsyncDisposable
{
    private readonly AntiEntropyOptions _options = options.Value;
    private readonly Lock _roundLock = new();

    // One entry per peer that shared ranges in the latest round: bounded by the member table.
    private readonly ConcurrentDictionary<string, ExchangeReport> _last = new(StringComparer.Ordinal);
    private readonly BackgroundLoop _loop = new();
    private string? _cursor;

    public AntiEntropyOptions Options => _options;

    /// <summary>The latest exchange with each peer that shares ranges with this node.</summary>
    public IReadOnlyDictionary<string, ExchangeReport> LastExchanges => _last;

    public void Start()
    {
        if (_options.Enabled)
        {
            _loop.Start(RunAsync);
        }
    }

    public ValueTask DisposeAsync() => _loop.DisposeAsync();

    private async Task RunAsync(CancellationToken stop)
    {
        while (true)
        {
            var factor = 1 + (_options.Jitter * ((Random.Shared.NextDouble() * 2) - 1));
            await Task.Delay(_options.Interval * factor, time, stop);
            try
            {
                await RunRoundAsync(stop);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                LogRoundFailed(logger, e);
            }
        }
    }

    /// <summary>
    /// One round: exchanges, concurrently, with the next peers in turn (by id) that are alive and
    /// share ranges with this node. Rounds must not overlap (the timer loop runs one at a time).
    /// </summary>
    public async Task<IReadOnlyList<ExchangeReport>> RunRoundAsync(CancellationToken cancellationToken)
    {
        var table = router.Current;
        var shared = table.SharedRanges;
        foreach (var gone in _last.Keys.Where(p => !shared.ContainsKey(p)).ToList())
        {
            _last.TryRemove(gone, out _);
        }

        var candidates = shared.Keys.Where(table.IsAlive).Order(StringComparer.Ordinal).ToList();
        if (candidates.Count == 0)
        {
            return [];
        }

        List<string> chosen;
        lock (_roundLock)
        {
            var start = _cursor is null ? 0 : candidates.FindIndex(c => string.CompareOrdinal(c, _cursor) > 0);
            start = start < 0 ? 0 : start;
            chosen = Enumerable.Range(0, Math.Min(_options.MaxConcurrentExchanges, candidates.Count))
                .Select(i => candidates[(start + i) % candidates.Count]).ToList();
            _cursor = chosen[^1];
        }

        var reports = await Task.WhenAll(chosen.Select(id => ExchangeWithAsync(table.Find(id)!, shared[id], cancellationToken)));
        return reports;
    }

    private async Task<ExchangeReport> ExchangeWithAsync(Member peer, HashRanges ranges, CancellationToken cancellationToken)
    {
        var report = await exchange.RunAsync(peer, ranges, cancellationToken);
        counters.Record(report);
        _last[peer.Id] = report;
        if (report.Error is not null)
        {
            LogExchangeFailed(logger, peer.Id, report.Error);
        }
        else if (report.KeysDiffering > 0)
        {
            LogRepaired(logger, peer.Id, report.KeysDiffering, report.SegmentsDiffering, report.KeysFetched, report.KeysPushed, report.Bytes, report.Duration.TotalMilliseconds);
        }

        return report;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Anti-entropy with {Peer}: {Keys} keys differed in {Segments} segments; fetched {Fetched}, pushed {Pushed}, {Bytes} bytes in {Millis:F0} ms")]
    private static partial void LogRepaired(ILogger logger, string peer, int keys, int segments, int fetched, int pushed, long bytes, double millis);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Anti-entropy with {Peer} stopped: {Reason}")]
    private static partial void LogExchangeFailed(ILogger logger, string peer, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "An anti-entropy round failed")]
    private static partial void LogRoundFailed(ILogger logger, Exception error);
}
