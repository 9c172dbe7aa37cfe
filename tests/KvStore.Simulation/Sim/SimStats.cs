namespace KvStore.Simulation.Sim;

/// <summary>What the faults made the cluster do in one run (or a batch): evidence that the faults bit.</summary>
internal sealed record SimStats(
    long Dropped,
    long Crashes,
    long Amnesias,
    long PowerLosses,
    long Forwarded,
    long HintsHandedOff,
    long HintsStoredLocally,
    long HintsDelivered,
    long ReadRepairs,
    long PeerFailures,
    long DriftRefusals,
    long Unanswered)
{
    public static SimStats Empty { get; } = new(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);

    public static SimStats Of(SimCluster cluster, History history)
    {
        var nodes = cluster.Started;
        return new SimStats(
            cluster.Network.Dropped,
            cluster.Crashes,
            nodes.Count(n => n.Amnesiac),
            cluster.PowerLosses,
            nodes.Sum(n => n.Counters.Forwarded),
            nodes.Sum(n => n.Counters.HintsHandedOff),
            nodes.Sum(n => n.Counters.HintsStoredLocally),
            nodes.Sum(n => n.Counters.HintsDelivered),
            nodes.Sum(n => n.Counters.ReadRepairs),
            nodes.Sum(n => n.Counters.PeerFailures),
            nodes.Sum(n => n.Clock.RejectedCount),
            history.Ops.Count(o => o.Completed is null));
    }

    public static SimStats operator +(SimStats a, SimStats b) => new(
        a.Dropped + b.Dropped, a.Crashes + b.Crashes, a.Amnesias + b.Amnesias, a.PowerLosses + b.PowerLosses, a.Forwarded + b.Forwarded,
        a.HintsHandedOff + b.HintsHandedOff, a.HintsStoredLocally + b.HintsStoredLocally, a.HintsDelivered + b.HintsDelivered,
        a.ReadRepairs + b.ReadRepairs, a.PeerFailures + b.PeerFailures, a.DriftRefusals + b.DriftRefusals, a.Unanswered + b.Unanswered);

    public override string ToString() =>
        $"{Dropped} messages dropped, {Crashes} crashes ({Amnesias} with amnesia, {PowerLosses} power losses of unsynced nodes), {Forwarded} writes forwarded, " +
        $"{HintsHandedOff} hints handed off and {HintsStoredLocally} kept locally, {HintsDelivered} delivered, {ReadRepairs} read repairs, " +
        $"{PeerFailures} failed peer calls, {DriftRefusals} drift refusals, {Unanswered} writes without an answer";
}
