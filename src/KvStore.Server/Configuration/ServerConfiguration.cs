using System.Collections;
using Microsoft.Extensions.Configuration;

namespace KvStore.Server.Configuration;

/// <summary>
/// Maps the server's command-line flags and KVSTORE_ environment variables onto configuration
/// keys. Precedence, lowest first: appsettings.json, environment, command line.
/// </summary>
public static class ServerConfiguration
{
    private sealed record Setting(string Flag, string EnvironmentVariable, string Key, string Help, bool IsSwitch = false);

    private static readonly Setting[] Settings =
    [
        new("--node-id", "KVSTORE_NODE_ID", "Node:NodeId", "node name (default: stored in the data directory, else HOSTNAME-PORT)"),
        new("--data-dir", "KVSTORE_DATA_DIR", "Storage:DataDir", "data directory (default: ./data)"),
        new("--listen", "KVSTORE_LISTEN", "Node:Listen", "gRPC address HOST:PORT (default: 127.0.0.1:7070)"),
        new("--admin", "KVSTORE_ADMIN", "Node:Admin", "admin HTTP address HOST:PORT (default: 127.0.0.1:7071)"),
        new("--seeds", "KVSTORE_SEEDS", "Node:Seeds", "comma-separated HOST:PORT of nodes to join through"),
        new("--cluster-key", "KVSTORE_CLUSTER_KEY", "Membership:Keys", "comma-separated base64 cluster keys (32-64 bytes each); the first signs, all verify"),
        new("--sync", "KVSTORE_SYNC", "Storage:Sync", "fsync the write-ahead log before acknowledging a write", IsSwitch: true),
    ];

    public const string Usage = "usage: KvStore.Server [--node-id NAME] [--data-dir PATH] [--listen HOST:PORT] [--admin HOST:PORT] [--seeds HOST:PORT,...] [--cluster-key KEYS] [--sync]";

    /// <summary>The help text: flags, their environment variables, and the general rule for the rest.</summary>
    public static string Help()
    {
        var lines = new List<string> { Usage, "", "options:" };
        lines.AddRange(Settings.Select(s => $"  {(s.IsSwitch ? s.Flag : s.Flag + " VALUE"),-22} {s.Help} [env {s.EnvironmentVariable}]"));
        lines.Add("");
        lines.Add("Any setting of appsettings.json can also be given as KVSTORE_SECTION__NAME, for example");
        lines.Add("KVSTORE_LIMITS__MAX_VALUE_BYTES=2097152 (underscores inside a name are ignored).");
        return string.Join(Environment.NewLine, lines);
    }

    /// <summary>Turns the flags into configuration pairs.</summary>
    /// <exception cref="ArgumentException">An unknown flag, or a flag without its value.</exception>
    public static Dictionary<string, string?> ParseArguments(IReadOnlyList<string> args)
    {
        var values = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        for (var i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            var eq = arg.IndexOf('=', StringComparison.Ordinal);
            var name = eq > 0 ? arg[..eq] : arg;
            var setting = Settings.FirstOrDefault(s => s.Flag == name)
                ?? throw new ArgumentException($"unknown option '{arg}'");
            if (eq > 0)
            {
                values[setting.Key] = arg[(eq + 1)..];
            }
            else if (setting.IsSwitch)
            {
                values[setting.Key] = "true";
            }
            else if (i + 1 < args.Count && !args[i + 1].StartsWith("--", StringComparison.Ordinal))
            {
                values[setting.Key] = args[++i];
            }
            else
            {
                throw new ArgumentException($"option '{name}' needs a value");
            }
        }

        return values;
    }

    /// <summary>
    /// Reads KVSTORE_ variables: the flags' own names (KVSTORE_DATA_DIR), and any other setting as
    /// KVSTORE_SECTION__NAME with underscores inside a name ignored (configuration keys ignore case).
    /// </summary>
    public static Dictionary<string, string?> ParseEnvironment(IDictionary environment)
    {
        var values = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        foreach (DictionaryEntry entry in environment)
        {
            if (entry.Key is not string name || !name.StartsWith("KVSTORE_", StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }

            var value = entry.Value as string;
            var known = Settings.FirstOrDefault(s => string.Equals(s.EnvironmentVariable, name, StringComparison.OrdinalIgnoreCase));
            if (known is not null)
            {
                values[known.Key] = value;
            }
            else if (name.Contains("__", StringComparison.Ordinal))
            {
                var parts = name["KVSTORE_".Length..].Split("__").Select(p => p.Replace("_", "", StringComparison.Ordinal));
                values[string.Join(':', parts)] = value;
            }
        }

        return values;
    }

    /// <summary>Layers environment and flags over what the builder already holds (appsettings.json).</summary>
    public static void AddKvStoreSources(this IConfigurationBuilder builder, IReadOnlyList<string> args)
    {
        builder.AddInMemoryCollection(ParseEnvironment(Environment.GetEnvironmentVariables()));
        builder.AddInMemoryCollection(ParseArguments(args));
    }
}
