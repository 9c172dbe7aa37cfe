using KvStore.Kvbench.Generators;

namespace KvStore.Kvbench;

/// <summary>The stores kvbench can drive with the same client loop.</summary>
internal enum TargetKind
{
    KvStore,
    Etcd,
    Redis,
}

/// <summary>Everything one run is parameterised by, as parsed and validated from the command line.</summary>
/// <param name="BatchSize">Puts in each call of the batch workload.</param>
/// <param name="Rate">Operations per second the callers share (--rate), or null for closed loops.</param>
/// <param name="Setup">What the run measured, in the caller's words (--setup); kept in the JSON for kvbench report.</param>
internal sealed record BenchSettings(
    TargetKind Target,
    IReadOnlyList<Endpoint> Endpoints,
    Workload Workload,
    Distribution Distribution,
    long Records,
    bool Load,
    int ValueSize,
    int Concurrency,
    TimeSpan Duration,
    TimeSpan Warmup,
    string Consistency,
    long Seed,
    bool Progress,
    int BatchSize = 100,
    double? Rate = null,
    string? Setup = null)
{
    /// <summary>Operations in one call: the batch size for the batch workload, else one.</summary>
    public int OperationsPerCall => Workload.OperationsPerCall(BatchSize);

    /// <summary>The open-loop schedule of a run with --rate; null for closed loops.</summary>
    public Running.Pacing? Pacing => Rate is { } rate ? new Running.Pacing(rate, Concurrency, OperationsPerCall) : null;

    /// <summary>The seed of caller <paramref name="caller"/>'s random source: distinct per caller, fixed by --seed.</summary>
    public int CallerSeed(int caller) => unchecked((int)Seed ^ (int)(Seed >> 32) ^ ((caller + 1) * -1640531527));
}

/// <summary>A host and port, parsed from host:port or an http:// URI.</summary>
internal sealed record Endpoint(string Host, int Port)
{
    public Uri HttpUri => new($"http://{(Host.Contains(':', StringComparison.Ordinal) ? $"[{Host}]" : Host)}:{Port}");

    public override string ToString() => Host.Contains(':', StringComparison.Ordinal) ? $"[{Host}]:{Port}" : $"{Host}:{Port}";

    /// <summary>Parses a comma-separated list; null with an error message if an entry is malformed.</summary>
    public static IReadOnlyList<Endpoint>? ParseList(string text, out string? error)
    {
        var list = new List<Endpoint>();
        foreach (var part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var withScheme = part.Contains("://", StringComparison.Ordinal) ? part : "http://" + part;
            if (!Uri.TryCreate(withScheme, UriKind.Absolute, out var uri) || uri.Scheme != Uri.UriSchemeHttp
                || uri.IsDefaultPort || uri.AbsolutePath != "/" || uri.Host.Length == 0)
            {
                error = $"'{part}' is not host:port (or http://host:port)";
                return null;
            }

            list.Add(new Endpoint(uri.IdnHost.Trim('[', ']'), uri.Port));
        }

        if (list.Count == 0)
        {
            error = "--endpoints names no endpoint";
            return null;
        }

        error = null;
        return list;
    }
}
