using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using Grpc.Core;
using KvStore.Cluster;
using KvStore.Cluster.AntiEntropy;
using KvStore.Cluster.Handoff;
using KvStore.Cluster.Membership;
using KvStore.Cluster.Replication;
using KvStore.Cluster.Tombstones;
using KvStore.Core.Clock;
using KvStore.Server.Peer;
using KvStore.Storage;

namespace KvStore.Server.Metrics;

/// <summary>Counters exposed at /metrics in the Prometheus text format.</summary>
internal sealed class ServerMetrics(
    IObjectStore store, HybridLogicalClock clock, ClusterCounters cluster, SwimMembership membership, PeerCounters peers, Coordinator coordinator, AntiEntropyCounters antiEntropy,
    TombstoneCounters tombstones, HandoffService handoffs, AwayRestore? away = null)
{
    // Bounded: methods and status codes are both fixed, small sets.
    private readonly ConcurrentDictionary<(string Method, StatusCode Status), long> _calls = new();

    public void RecordCall(string method, StatusCode status) =>
        _calls.AddOrUpdate((method, status), 1, static (_, n) => n + 1);

    public string Render()
    {
        var sb = new StringBuilder();
        sb.Append("# HELP kvstore_grpc_calls_total Client calls by method and status.\n");
        sb.Append("# TYPE kvstore_grpc_calls_total counter\n");
        foreach (var ((method, status), n) in _calls.OrderBy(p => p.Key.Method, StringComparer.Ordinal).ThenBy(p => p.Key.Status))
        {
            sb.Append(CultureInfo.InvariantCulture, $"kvstore_grpc_calls_total{{method=\"{method}\",status=\"{status}\"}} {n}\n");
        }

        Counter(sb, "kvstore_storage_batches_total", "Write batches committed to RocksDB.", store.Stats.Batches);
        Counter(sb, "kvstore_storage_writes_total", "Object writes committed to RocksDB.", store.Stats.Writes);
        Gauge(sb, "kvstore_storage_largest_batch", "Most writes committed in one batch.", store.Stats.LargestBatch);
        Counter(sb, "kvstore_clock_drift_rejections_total", "Timestamps refused for being too far ahead of this node's clock.", clock.RejectedCount);
        Counter(sb, "kvstore_storage_hints_stored_total", "Hints accepted into this node's hint store.", store.Stats.HintsStored);
        Counter(sb, "kvstore_storage_hints_dropped_total", "Hints refused because their target's bound was reached.", store.Stats.HintsDropped);
        Gauge(sb, "kvstore_coordinator_pending", "Requests this node coordinates right now, including replication after the answer.", coordinator.Pending);
        Counter(sb, "kvstore_coordinator_forwarded_total", "Writes forwarded to a replica of the key.", cluster.Forwarded);
        Counter(sb, "kvstore_coordinator_stale_forwards_refused_total", "Forwarded writes refused because they arrived after the sender stopped waiting.", cluster.StaleForwardsRefused);
        Counter(sb, "kvstore_coordinator_overloaded_total", "Requests refused because too many were in flight.", cluster.Overloaded);
        Counter(sb, "kvstore_hints_handed_off_total", "Writes for a down replica taken by a fallback node.", cluster.HintsHandedOff);
        Counter(sb, "kvstore_hints_kept_locally_total", "Writes for a down replica kept as a hint on this node.", cluster.HintsStoredLocally);
        Counter(sb, "kvstore_hints_delivered_total", "Hints delivered to their target.", cluster.HintsDelivered);
        Counter(sb, "kvstore_read_repairs_total", "Stale replicas sent the merged state after a read.", cluster.ReadRepairs);
        Counter(sb, "kvstore_context_catch_ups_total", "Writes whose context made this replica fetch the other replicas first.", cluster.ContextCatchUps);
        Counter(sb, "kvstore_peer_failures_total", "Peer calls that failed or timed out.", cluster.PeerFailures);
        Counter(sb, "kvstore_merge_drift_total", "Merged objects with timestamps beyond the allowed drift.", cluster.MergeDriftObserved);
        sb.Append("# HELP kvstore_gossip_total Gossip packets sent and received, and messages dropped by reason.\n# TYPE kvstore_gossip_total counter\n");
        foreach (var (reason, n) in membership.Counters.Snapshot())
        {
            sb.Append(CultureInfo.InvariantCulture, $"kvstore_gossip_total{{reason=\"{reason}\"}} {n}\n");
        }

        sb.Append("# HELP kvstore_peer_refused_total Peer gRPC messages refused, by reason.\n# TYPE kvstore_peer_refused_total counter\n");
        sb.Append(CultureInfo.InvariantCulture, $"kvstore_peer_refused_total{{reason=\"unauthenticated\"}} {peers.Unauthenticated}\n");
        sb.Append(CultureInfo.InvariantCulture, $"kvstore_peer_refused_total{{reason=\"expired\"}} {peers.Expired}\n");
        sb.Append(CultureInfo.InvariantCulture, $"kvstore_peer_refused_total{{reason=\"replayed\"}} {peers.Replayed}\n");
        sb.Append(CultureInfo.InvariantCulture, $"kvstore_peer_refused_total{{reason=\"malformed\"}} {peers.Malformed}\n");
        sb.Append("# HELP kvstore_antientropy_exchanges_total Anti-entropy exchanges this node started, by result.\n# TYPE kvstore_antientropy_exchanges_total counter\n");
        sb.Append(CultureInfo.InvariantCulture, $"kvstore_antientropy_exchanges_total{{result=\"ok\"}} {antiEntropy.Exchanges}\n");
        sb.Append(CultureInfo.InvariantCulture, $"kvstore_antientropy_exchanges_total{{result=\"failed\"}} {antiEntropy.Failed}\n");
        Counter(sb, "kvstore_antientropy_segments_differing_total", "Leaf segments anti-entropy found to differ.", antiEntropy.SegmentsDiffering);
        sb.Append("# HELP kvstore_antientropy_keys_total Keys anti-entropy found to differ, fetched and merged here, pushed to the peer, or could not merge.\n# TYPE kvstore_antientropy_keys_total counter\n");
        sb.Append(CultureInfo.InvariantCulture, $"kvstore_antientropy_keys_total{{kind=\"differing\"}} {antiEntropy.KeysDiffering}\n");
        sb.Append(CultureInfo.InvariantCulture, $"kvstore_antientropy_keys_total{{kind=\"fetched\"}} {antiEntropy.KeysFetched}\n");
        sb.Append(CultureInfo.InvariantCulture, $"kvstore_antientropy_keys_total{{kind=\"pushed\"}} {antiEntropy.KeysPushed}\n");
        sb.Append(CultureInfo.InvariantCulture, $"kvstore_antientropy_keys_total{{kind=\"refused\"}} {antiEntropy.KeysRefused}\n");
        sb.Append("# HELP kvstore_antientropy_bytes_total Bytes of peer messages anti-entropy sent and received.\n# TYPE kvstore_antientropy_bytes_total counter\n");
        sb.Append(CultureInfo.InvariantCulture, $"kvstore_antientropy_bytes_total{{direction=\"sent\"}} {antiEntropy.BytesSent}\n");
        sb.Append(CultureInfo.InvariantCulture, $"kvstore_antientropy_bytes_total{{direction=\"received\"}} {antiEntropy.BytesReceived}\n");
        sb.Append("# HELP kvstore_tombstones_total Tombstones removed from this node's store, left by its collector as not yet stable, or kept because a write landed first.\n# TYPE kvstore_tombstones_total counter\n");
        sb.Append(CultureInfo.InvariantCulture, $"kvstore_tombstones_total{{result=\"collected\"}} {tombstones.Collected}\n");
        sb.Append(CultureInfo.InvariantCulture, $"kvstore_tombstones_total{{result=\"skipped_not_stable\"}} {tombstones.SkippedNotStable}\n");
        sb.Append(CultureInfo.InvariantCulture, $"kvstore_tombstones_total{{result=\"refused\"}} {tombstones.Refused}\n");
        var handoff = handoffs.Totals;
        sb.Append("# HELP kvstore_handoff_transfers_total Ownership transfers this node ran to their end, by result, and attempts that failed and will resume.\n# TYPE kvstore_handoff_transfers_total counter\n");
        sb.Append(CultureInfo.InvariantCulture, $"kvstore_handoff_transfers_total{{result=\"done\"}} {handoff.Done}\n");
        sb.Append(CultureInfo.InvariantCulture, $"kvstore_handoff_transfers_total{{result=\"abandoned\"}} {handoff.Abandoned}\n");
        sb.Append(CultureInfo.InvariantCulture, $"kvstore_handoff_transfers_total{{result=\"failed_attempt\"}} {handoff.FailedAttempts}\n");
        Counter(sb, "kvstore_handoff_keys_sent_total", "Keys pushed to new owners by transfers that ended.", handoff.KeysSent);
        Counter(sb, "kvstore_handoff_bytes_total", "Bytes of peer messages sent and received by transfers that ended.", handoff.BytesSent);
        Gauge(sb, "kvstore_handoff_unfinished", "Transfers waiting, running or due for a retry.", handoff.Unfinished);
        if (away?.Status is { } a)
        {
            sb.Append("# HELP kvstore_away_phase What this node did with the data it set aside after a long absence (1 for the current phase).\n# TYPE kvstore_away_phase gauge\n");
            foreach (var phase in Enum.GetValues<AwayPhase>())
            {
                sb.Append(CultureInfo.InvariantCulture, $"kvstore_away_phase{{phase=\"{Admin.AwayView.Name(phase)}\"}} {(a.Phase == phase ? 1 : 0)}\n");
            }

            Gauge(sb, "kvstore_away_restored", "Set-aside objects and hints merged back so far.", a.Restored);
        }

        Gauge(sb, "kvstore_members", "Members in this node's table, itself included.", membership.Current.Members.Length);
        return sb.ToString();
    }

    private static void Counter(StringBuilder sb, string name, string help, long value) => Metric(sb, name, "counter", help, value);

    private static void Gauge(StringBuilder sb, string name, string help, long value) => Metric(sb, name, "gauge", help, value);

    private static void Metric(StringBuilder sb, string name, string type, string help, long value) =>
        sb.Append(CultureInfo.InvariantCulture, $"# HELP {name} {help}\n# TYPE {name} {type}\n{name} {value}\n");
}
