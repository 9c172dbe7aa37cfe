using System.CommandLine;
using KvStore.Client;

namespace KvStore.Kvctl;

/// <summary>Options every command accepts, and how they become a <see cref="KvClient"/>.</summary>
internal sealed class GlobalOptions
{
    /// <summary>Lets a shell session point kvctl at a cluster once instead of on every command.</summary>
    public const string EndpointsVariable = "KVCTL_ENDPOINTS";

    public const string DefaultEndpoint = "127.0.0.1:7070";

    public Option<string> Endpoints { get; } = new("--endpoints")
    {
        Description = $"Comma-separated nodes (host:port or http(s):// URIs), tried in order; the default comes from ${EndpointsVariable} if set",
        HelpName = "ENDPOINTS",
        Recursive = true,
        // Read at parse time, not at start-up, so the variable in effect for this run is the one used.
        DefaultValueFactory = _ => Environment.GetEnvironmentVariable(EndpointsVariable) is { Length: > 0 } fromEnv ? fromEnv : DefaultEndpoint,
    };

    public Option<string> Output { get; } = new("--output", "-o")
    {
        Description = "Output format: text for people, json (one object per line) for scripts",
        Recursive = true,
        DefaultValueFactory = _ => "text",
    };

    public Option<string> Consistency { get; } = new("--consistency")
    {
        Description = "How many replicas must answer; default means the server's level",
        Recursive = true,
        DefaultValueFactory = _ => "default",
    };

    public Option<double?> Timeout { get; } = new("--timeout")
    {
        Description = "Deadline of the request in seconds (10 if not given)",
        HelpName = "SECONDS",
        Recursive = true,
    };

    public void AddTo(Command root)
    {
        Output.AcceptOnlyFromAmong("text", "json");
        Consistency.AcceptOnlyFromAmong("default", "one", "quorum", "all");
        Timeout.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<double?>() is { } seconds && !(seconds > 0 && seconds <= TimeSpan.MaxValue.TotalSeconds))
            {
                result.AddError("--timeout must be a positive number of seconds.");
            }
        });
        root.Options.Add(Endpoints);
        root.Options.Add(Output);
        root.Options.Add(Consistency);
        root.Options.Add(Timeout);
    }

    /// <summary>The endpoint list as given, for messages that say which nodes could not be reached.</summary>
    public static string[] SplitEndpoints(string? endpoints) =>
        (endpoints ?? DefaultEndpoint).Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    public KvClientOptions ClientOptions(ParseResult result, string[] endpoints)
    {
        var options = new KvClientOptions
        {
            Endpoints = endpoints,
            DefaultConsistency = result.GetValue(Consistency) switch
            {
                "one" => KvConsistency.One,
                "quorum" => KvConsistency.Quorum,
                "all" => KvConsistency.All,
                _ => KvConsistency.Default,
            },
        };
        if (result.GetValue(Timeout) is { } seconds)
        {
            options.Timeout = TimeSpan.FromSeconds(seconds);
        }

        return options;
    }
}
