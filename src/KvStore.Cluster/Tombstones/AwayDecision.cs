namespace KvStore.Cluster.Tombstones;

/// <summary>What a node back from a long absence does with the data it set aside.</summary>
public enum AwayVerdict
{
    /// <summary>Not every peer asked has answered, or no peer is alive yet: ask again later.</summary>
    Wait = 0,

    /// <summary>Every peer answered and none collected since this node was last alive: merge the data back.</summary>
    Restore = 1,

    /// <summary>A peer collected since: the data could bring collected keys back, so it stays aside.</summary>
    KeepAside = 2,
}

/// <summary>
/// The rule for a node back from a long absence. Collection waits for every ring member to be alive
/// and confirm, and every member records each collection it takes part in (<see cref="Storage.ICollectionLog"/>),
/// so a collection this node missed is known to every peer that took part in it. If every alive
/// ring member says its latest collection is no later than this node's last-alive mark (plus the
/// time it may have run after it), none happened while it was away, and nothing it holds can resurrect a collected key.
/// </summary>
public static class AwayDecision
{
    /// <param name="since">When this node's set-aside data was last marked alive, plus the time it may still have taken part (<see cref="AwayRestoreOptions.Allowance"/>).</param>
    /// <param name="peers">The alive ring members other than this node.</param>
    /// <param name="answers">The answers received, by peer id: its latest collection, or null for none.</param>
    /// <param name="expectedPeers">
    /// How many peers must have answered before the data comes back: the other ring members this
    /// node saw at its mark, so a collector that is slower to restart is heard too (0 once the node
    /// has waited <see cref="TombstoneOptions.AwayWaitForMembers"/> for them).
    /// </param>
    public static AwayVerdict Decide(DateTimeOffset since, IReadOnlyCollection<string> peers, IReadOnlyDictionary<string, DateTimeOffset?> answers, int expectedPeers = 0)
    {
        if (answers.Values.Any(at => at is { } t && t > since))
        {
            return AwayVerdict.KeepAside;
        }

        return peers.Count > 0 && peers.All(answers.ContainsKey) && answers.Count >= expectedPeers ? AwayVerdict.Restore : AwayVerdict.Wait;
    }
}
