using KvStore.Cluster.Membership;
using KvStore.Core.Membership;

namespace KvStore.Kvsim.Membership;

/// <summary>
/// How news about one member spreads: the first time each observer's view showed the member in one
/// of the given states, measured from <see cref="Start"/>. Only the first time counts, so a later
/// change of mind does not move an observer's time.
/// </summary>
internal sealed class Observation(string memberId, IReadOnlySet<string> observers, DateTimeOffset start, params MemberState[] states)
{
    private readonly Dictionary<string, TimeSpan> _seen = new(StringComparer.Ordinal);

    public string MemberId { get; } = memberId;

    public DateTimeOffset Start { get; } = start;

    public int Observers => observers.Count;

    public int Reached => _seen.Count;

    public bool Complete => _seen.Count == observers.Count;

    public void See(string observer, MembershipView view, DateTimeOffset now)
    {
        if (!observers.Contains(observer) || _seen.ContainsKey(observer))
        {
            return;
        }

        if (view.Find(MemberId) is { } m && Array.IndexOf(states, m.State) >= 0)
        {
            _seen.Add(observer, now - Start);
        }
    }

    /// <summary>When the first, the median and the last observer saw it; the last is null unless every observer did.</summary>
    public Spread Spread()
    {
        var times = _seen.Values.Order().ToList();
        TimeSpan? At(int i) => i < times.Count ? times[i] : null;
        return new Spread(Observers, Reached, At(0), At((Observers - 1) / 2), Complete ? times[^1] : null);
    }
}

/// <summary>How far one piece of news got: observers, how many it reached, and when the first, the median and the last of them saw it.</summary>
internal sealed record Spread(int Observers, int Reached, TimeSpan? First, TimeSpan? Median, TimeSpan? All);
