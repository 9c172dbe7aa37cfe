using System.Globalization;
using System.Text;
using System.Text.Json;

namespace KvStore.Kvsim.Membership;

/// <summary>
/// The scale figures as a console table, a Markdown page section and JSON. Times are given in
/// rounds (protocol periods) beside log2 N, the curve epidemic dissemination should follow, and the
/// suspicion timeout that bounds how soon a death can be declared.
/// </summary>
internal static class ScaleReport
{
    private static readonly string[] Header =
    [
        "N", "converge s", "join: all (rounds)", "join (gossip rounds)", "push estimate (gossip rounds)",
        "suspect: all (rounds)", "dead: all (rounds)", "log2 N", "join rounds / log2 N", "suspect rounds / log2 N",
        "suspicion min-max s", "msgs/node/s", "datagram bytes/node/s", "push-pull bytes/node/s", "wall s",
    ];

    public static void WriteText(TextWriter w, IReadOnlyList<ScaleResult> results)
    {
        var rows = results.Select(Row).Prepend(Header).ToList();
        var widths = Enumerable.Range(0, Header.Length).Select(c => rows.Max(r => r[c].Length)).ToArray();
        foreach (var row in rows)
        {
            w.WriteLine(string.Join("  ", row.Select((cell, c) => c == 0 ? cell.PadLeft(widths[c]) : cell.PadLeft(widths[c]))));
        }

        w.WriteLine();
        w.WriteLine("Rounds are protocol periods (ProbeInterval), gossip rounds are GossipIntervals; each figure is the mean over trials of the time until the last node knew.");
        foreach (var r in results.Where(r => !r.Complete))
        {
            w.WriteLine($"N={r.Nodes}: not every measurement reached every node within the patience; see the trials.");
        }
    }

    public static string Markdown(IReadOnlyList<ScaleResult> results, string command)
    {
        var sb = new StringBuilder();
        sb.AppendLine($"Command: `{command}`").AppendLine();
        sb.AppendLine("| " + string.Join(" | ", Header) + " |");
        sb.AppendLine("|" + string.Concat(Header.Select(_ => "---:|")));
        foreach (var r in results)
        {
            sb.AppendLine("| " + string.Join(" | ", Row(r)) + " |");
        }

        sb.AppendLine();
        sb.AppendLine("Per trial (seconds until the first, the median and the last node knew):").AppendLine();
        sb.AppendLine("| N | trial | joiner | join first / median / all | victim | suspect first / median / all | dead first / median / all |");
        sb.AppendLine("|---:|---:|---|---|---|---|---|");
        foreach (var r in results)
        {
            for (var i = 0; i < r.Trials.Count; i++)
            {
                var t = r.Trials[i];
                sb.AppendLine($"| {r.Nodes} | {i + 1} | {t.Joiner} | {Spread(t.Join)} | {t.Victim} | {Spread(t.Suspect)} | {Spread(t.Dead)} |");
            }
        }

        return sb.ToString();
    }

    public static string Json(IReadOnlyList<ScaleResult> results) => JsonSerializer.Serialize(
        results.Select(r => new
        {
            r.Nodes,
            r.Seed,
            ConvergenceSeconds = r.Convergence?.TotalSeconds,
            ProbeIntervalSeconds = r.ProbeInterval.TotalSeconds,
            GossipIntervalSeconds = r.GossipInterval.TotalSeconds,
            SuspicionMinSeconds = r.SuspicionMin.TotalSeconds,
            SuspicionMaxSeconds = r.SuspicionMax.TotalSeconds,
            r.RetransmitLimit,
            Log2N = Math.Log2(r.Nodes),
            r.GossipFanout,
            PushGossipEstimateRounds = PushGossipEstimate(r.Nodes, r.GossipFanout),
            SteadyLoad = new
            {
                WindowSeconds = r.Load.Window.TotalSeconds,
                r.Load.MessagesPerNodePerSecond,
                r.Load.DatagramsPerNodePerSecond,
                r.Load.PushPullsPerNodePerSecond,
                r.Load.DatagramBytesPerNodePerSecond,
                r.Load.PushPullBytesPerNodePerSecond,
            },
            Trials = r.Trials.Select(t => new
            {
                t.Joiner,
                Join = Seconds(t.Join),
                t.Victim,
                Suspect = Seconds(t.Suspect),
                Dead = Seconds(t.Dead),
            }),
            WallSeconds = r.Wall.TotalSeconds,
            r.Callbacks,
        }),
        new JsonSerializerOptions { WriteIndented = true });

    private static object Seconds(Spread s) => new
    {
        s.Observers,
        s.Reached,
        FirstSeconds = s.First?.TotalSeconds,
        MedianSeconds = s.Median?.TotalSeconds,
        AllSeconds = s.All?.TotalSeconds,
    };

    private static string[] Row(ScaleResult r)
    {
        var log2 = Math.Log2(r.Nodes);
        var join = r.Mean(t => t.Join.All);
        var suspect = r.Mean(t => t.Suspect.All);
        var dead = r.Mean(t => t.Dead.All);
        return
        [
            r.Nodes.ToString(CultureInfo.InvariantCulture),
            F(r.Convergence?.TotalSeconds, 1),
            F(join is { } j ? r.Rounds(j) : null, 2),
            F(join is { } jg ? jg / r.GossipInterval : null, 1),
            F(PushGossipEstimate(r.Nodes, r.GossipFanout), 1),
            F(suspect is { } s ? r.Rounds(s) : null, 2),
            F(dead is { } d ? r.Rounds(d) : null, 2),
            F(log2, 2),
            F(join is { } j2 ? r.Rounds(j2) / log2 : null, 2),
            F(suspect is { } s2 ? r.Rounds(s2) / log2 : null, 2),
            $"{F(r.SuspicionMin.TotalSeconds, 0)}-{F(r.SuspicionMax.TotalSeconds, 0)}",
            F(r.Load.MessagesPerNodePerSecond, 2),
            F(r.Load.DatagramBytesPerNodePerSecond, 0),
            F(r.Load.PushPullBytesPerNodePerSecond, 0),
            F(r.Wall.TotalSeconds, 1),
        ];
    }

    /// <summary>
    /// Rounds a push epidemic needs to reach all of <paramref name="n"/> members when each informed
    /// member tells <paramref name="fanout"/> random others per round: log_(fanout+1)(n) rounds while
    /// the informed multiply, plus ln(n)/fanout to reach the last few (Pittel 1987 for a fanout of 1).
    /// An estimate to compare the measured gossip rounds with, not a bound.
    /// </summary>
    public static double PushGossipEstimate(int n, int fanout) => (Math.Log(n) / Math.Log(fanout + 1)) + (Math.Log(n) / fanout);

    private static string Spread(Spread s) =>
        $"{F(s.First?.TotalSeconds, 3)} / {F(s.Median?.TotalSeconds, 3)} / {(s.All is { } a ? F(a.TotalSeconds, 3) : $"not all ({s.Reached} of {s.Observers})")}";

    private static string F(double? v, int digits) => v is { } x ? x.ToString("F" + digits, CultureInfo.InvariantCulture) : "-";
}
