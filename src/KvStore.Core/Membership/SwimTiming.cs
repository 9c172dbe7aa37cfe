namespace KvStore.Core.Membership;

/// <summary>
/// The timing rules of SWIM (Das et al. 2002) with Lifeguard's refinements (Dadgar et al. 2018),
/// pulled out of the timers so they can be tested with a table, as memberlist does in util.go and
/// suspicion.go.
/// </summary>
public static class SwimTiming
{
    /// <summary>
    /// The least time a suspicion lasts before the suspect is declared dead:
    /// <c>multiplier * max(1, log10(max(1, n))) * probeInterval</c>. It grows with the log of the
    /// cluster size because gossip needs O(log n) rounds to reach everyone, and the suspect must
    /// hear of its suspicion to refute it. As in memberlist, the scale is rounded down to whole
    /// thousandths so that the result does not depend on floating-point noise.
    /// </summary>
    public static TimeSpan SuspicionTimeout(int suspicionMultiplier, int clusterSize, TimeSpan probeInterval)
    {
        var scale = Math.Max(1.0, Math.Log10(Math.Max(1, clusterSize)));
        var milliScale = (long)(scale * 1000);
        return TimeSpan.FromTicks(suspicionMultiplier * milliScale * probeInterval.Ticks / 1000);
    }

    /// <summary>
    /// Lifeguard's dynamic suspicion: a suspicion starts at <paramref name="max"/> and shrinks
    /// towards <paramref name="min"/> on a log scale as independent members confirm it, reaching
    /// <paramref name="min"/> at <paramref name="expectedConfirmations"/>. A lone (possibly
    /// unhealthy) accuser therefore waits longest, which gives a slow-but-alive member time to
    /// refute. Returns the time left after <paramref name="elapsed"/>, never below zero.
    /// </summary>
    public static TimeSpan RemainingSuspicion(int confirmations, int expectedConfirmations, TimeSpan elapsed, TimeSpan min, TimeSpan max)
    {
        TimeSpan timeout;
        if (expectedConfirmations < 1)
        {
            // No confirmations can be expected (a tiny cluster): there is nothing to wait for beyond the minimum.
            timeout = min;
        }
        else
        {
            var c = Math.Clamp(confirmations, 0, expectedConfirmations);
            var fraction = Math.Log(c + 1.0) / Math.Log(expectedConfirmations + 1.0);
            var raw = max.TotalSeconds - (fraction * (max - min).TotalSeconds);

            // Whole milliseconds, as memberlist's remainingSuspicionTime: the result is stable across platforms.
            timeout = TimeSpan.FromMilliseconds(Math.Floor(1000.0 * raw));
            if (timeout < min)
            {
                timeout = min;
            }
        }

        var left = timeout - elapsed;
        return left < TimeSpan.Zero ? TimeSpan.Zero : left;
    }

    /// <summary>
    /// How many times one gossip update is piggybacked before it is dropped:
    /// <c>multiplier * ceil(log10(n + 1))</c>. Epidemic dissemination reaches all n members
    /// with high probability in O(log n) rounds (SWIM section 4.1).
    /// </summary>
    public static int RetransmitLimit(int multiplier, int clusterSize)
    {
        var scale = (int)Math.Ceiling(Math.Log10(Math.Max(0, clusterSize) + 1.0));
        return multiplier * scale;
    }

    /// <summary>
    /// Lifeguard's local health multiplier: a node that has been missing acks is probably itself
    /// slow (CPU starved, overloaded network), so it waits <c>awareness + 1</c> times longer
    /// before blaming others instead of flooding the cluster with false suspicions.
    /// </summary>
    public static TimeSpan ProbeTimeout(TimeSpan baseTimeout, int awareness) =>
        TimeSpan.FromTicks(baseTimeout.Ticks * (Math.Max(0, awareness) + 1));
}
