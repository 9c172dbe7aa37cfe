using HdrHistogram;

namespace KvStore.Kvbench.Running;

/// <summary>What a run measured, with the settings it ran under.</summary>
/// <param name="Ops">Operations that succeeded within the measured window.</param>
/// <param name="Calls">Calls that succeeded within the measured window: <paramref name="Ops"/> but for batches, which carry many operations each.</param>
internal sealed record BenchResult(
    BenchSettings Settings,
    double? LoadSeconds,
    long Ops,
    long Calls,
    double Seconds,
    Latency Latency,
    IReadOnlyDictionary<string, long> Errors,
    IReadOnlyDictionary<string, long> Operations)
{
    /// <summary>Successful operations per second over the measured window.</summary>
    public double Throughput => Seconds > 0 ? Ops / Seconds : 0;

    /// <summary>Successful calls per second over the measured window.</summary>
    public double CallRate => Seconds > 0 ? Calls / Seconds : 0;

    public long ErrorCount => Errors.Values.Sum();

    /// <summary>The share of operations in the window that failed.</summary>
    public double FailedFraction => Ops + ErrorCount == 0 ? 0 : (double)ErrorCount / (Ops + ErrorCount);
}

/// <summary>Latency percentiles of successful calls, in milliseconds.</summary>
internal sealed record Latency(double P50, double P95, double P99, double P999, double Max)
{
    public static Latency From(HistogramBase histogram)
    {
        if (histogram.TotalCount == 0)
        {
            return new Latency(0, 0, 0, 0, 0);
        }

        return new Latency(
            Millis(histogram.GetValueAtPercentile(50)),
            Millis(histogram.GetValueAtPercentile(95)),
            Millis(histogram.GetValueAtPercentile(99)),
            Millis(histogram.GetValueAtPercentile(99.9)),
            Millis(histogram.GetMaxValue()));
    }

    private static double Millis(long micros) => micros / 1000.0;
}
