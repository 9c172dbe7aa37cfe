using KvStore.Core.Membership;

namespace KvStore.Cluster.Membership;

/// <summary>
/// One running suspicion (memberlist's suspicion.go). Lifeguard: it starts at the longest timeout
/// and each independent member that confirms it shortens the remaining time on a log scale, down to
/// the least timeout once the expected number have confirmed. The first accuser does not count as a
/// confirmation. Not thread-safe: the engine calls it under its lock.
/// </summary>
internal sealed class Suspicion(string firstAccuser, int expectedConfirmations, TimeSpan min, TimeSpan max, DateTimeOffset start)
{
    private readonly HashSet<string> _accusers = [firstAccuser];

    public int Confirmations { get; private set; }

    public IDisposable? Timer { get; set; }

    /// <summary>Counts <paramref name="accuser"/> if it is new and more confirmations can still shorten the timeout.</summary>
    public bool Confirm(string accuser)
    {
        if (Confirmations >= expectedConfirmations || !_accusers.Add(accuser))
        {
            return false;
        }

        Confirmations++;
        return true;
    }

    public TimeSpan Remaining(DateTimeOffset now) =>
        SwimTiming.RemainingSuspicion(Confirmations, expectedConfirmations, now - start, min, max);
}
