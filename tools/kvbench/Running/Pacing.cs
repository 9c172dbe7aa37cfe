namespace KvStore.Kvbench.Running;

/// <summary>
/// The schedule of an open-loop run (--rate): the total rate is split evenly over the callers, and
/// each caller's calls fall due at fixed intervals from the start of the run, whatever happened to
/// the calls before them. The callers are offset within one interval so that their calls do not
/// all fall due together.
/// </summary>
/// <remarks>
/// A caller that falls behind sends its next call at once, and that call's latency is counted from
/// when it was due, not from when it was sent. A closed loop hides a stall: during it the callers
/// send nothing, so the one slow call is recorded and the calls that should have been sent meanwhile
/// are not ("coordinated omission", Gil Tene, "How NOT to Measure Latency"; wrk2 measures the same
/// way).
/// </remarks>
internal sealed record Pacing(double OperationsPerSecond, int Callers, int OperationsPerCall)
{
    /// <summary>
    /// How long before a call is due a caller may send it. Timers fire up to about a millisecond
    /// late, and counting that from the due time would add the client's timer to every latency; a
    /// call sent early is timed from when it was sent, so waking early never makes a call look faster.
    /// </summary>
    public static readonly TimeSpan EarlySend = TimeSpan.FromMilliseconds(2);

    /// <summary>
    /// How long a paced run goes on after its window so that the calls that fell due in the window
    /// can finish: as long as the window itself. A call still unanswered then counts as failed.
    /// </summary>
    public static TimeSpan Grace(TimeSpan window) => window;

    /// <summary>Seconds between two calls of one caller.</summary>
    public double CallInterval => Callers * OperationsPerCall / OperationsPerSecond;

    /// <summary>
    /// When call number <paramref name="call"/> (from 0) of caller <paramref name="caller"/> is due,
    /// as a timestamp of a clock that ticks <paramref name="frequency"/> times a second and read
    /// <paramref name="start"/> when the run began.
    /// </summary>
    public long Due(long start, long frequency, int caller, long call) =>
        start + (long)((call + caller / (double)Callers) * CallInterval * frequency);

    /// <summary>
    /// Where a call's latency is counted from: when it was due, or when it was sent if that was
    /// earlier (a caller may send up to <see cref="EarlySend"/> ahead).
    /// </summary>
    public static long TimedFrom(long due, long sent) => Math.Min(due, sent);
}
