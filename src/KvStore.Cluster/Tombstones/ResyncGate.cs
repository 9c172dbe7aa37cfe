using KvStore.Cluster.AntiEntropy;
using KvStore.Cluster.Routing;

namespace KvStore.Cluster.Tombstones;

/// <summary>
/// Whether this node's replica may answer reads. A node that came back empty after being away
/// longer than the tombstone horizon (<see cref="TombstoneOptions.Horizon"/>) does not, until
/// anti-entropy has filled it: an empty answer would count towards a read quorum as if the key
/// were absent. Meanwhile reads and context catch-ups treat it as an unavailable replica;
/// anti-entropy, hints and writes reach it as usual.
/// </summary>
public sealed class ResyncGate
{
    private volatile bool _resyncing;

    public bool IsResyncing => _resyncing;

    /// <summary>Closes the gate: this node's data was discarded at start.</summary>
    public void Begin() => _resyncing = true;

    /// <summary>Opens the gate for good.</summary>
    public void Finish() => _resyncing = false;

    /// <summary>
    /// Whether anti-entropy has filled this node: it shares ranges with at least one peer, and its
    /// latest exchange with every alive peer it shares ranges with ran to the end, uncut.
    /// </summary>
    public static bool Filled(RoutingTable table, IReadOnlyDictionary<string, ExchangeReport> lastExchanges)
    {
        var peers = table.SharedRanges.Keys.Where(table.IsAlive).ToList();
        return peers.Count > 0 && peers.All(p => lastExchanges.TryGetValue(p, out var r) && r.Error is null && !r.Truncated);
    }
}
