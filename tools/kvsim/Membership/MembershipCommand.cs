using System.CommandLine;
using System.Globalization;

namespace KvStore.Kvsim.Membership;

/// <summary><c>kvsim membership</c>: SWIM's dissemination and load at several cluster sizes.</summary>
internal static class MembershipCommand
{
    private const string Description = """
        Membership at scale: for each cluster size, N SWIM nodes with the production
        MembershipOptions join through the first node on an in-memory network with a simulated
        clock and converge. Then the quiet cluster's messages are counted (datagrams and push-pull
        exchanges sent per node per second), and for each trial one node joins through the first
        and one random node crashes (cut off and stopped): it reports the protocol periods (rounds)
        until every node has the joiner alive, and until every survivor suspects and has declared
        the victim dead, beside log2 N and the suspicion timeout for that size. The same seed
        gives the same figures. Exit codes: 0 done; 1 some news did not reach every node within
        --patience; 2 bad usage.
        """;

    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var sizes = new Option<string>("--sizes", "-n")
        {
            Description = "Comma-separated cluster sizes, each from 2 to MaxMembers minus --trials",
            DefaultValueFactory = _ => "10,100,1000",
        };
        var seed = new Option<int>("--seed") { Description = "Seed of every random choice", DefaultValueFactory = _ => 1 };
        var trials = new Option<int>("--trials") { Description = "Joins and crashes measured per size (1 to 20)", DefaultValueFactory = _ => 3 };
        var steady = new Option<double>("--steady-seconds") { Description = "Simulated seconds over which the quiet cluster's messages are counted", DefaultValueFactory = _ => 60 };
        var patience = new Option<double>("--patience-seconds") { Description = "Simulated seconds a phase may take before it is reported as not reached", DefaultValueFactory = _ => 600 };
        var drop = new Option<double>("--drop") { Description = "Chance that the network loses a message (0 to 0.5)", DefaultValueFactory = _ => 0 };
        var markdown = new Option<FileInfo?>("--markdown") { Description = "Also write the tables as Markdown to this file" };
        var json = new Option<FileInfo?>("--json") { Description = "Also write the results as JSON to this file" };
        var quiet = new Option<bool>("--quiet", "-q") { Description = "No progress lines on stderr" };

        sizes.Validators.Add(r =>
        {
            if (ParseSizes(r.GetValueOrDefault<string>()) is null)
            {
                r.AddError("--sizes must be comma-separated whole numbers from 2 to 1000 (the member table's default bound is 1024).");
            }
        });
        trials.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<int>() is < 1 or > 20)
            {
                r.AddError("--trials must be 1 to 20.");
            }
        });
        foreach (var (option, name, max) in new[] { (steady, "--steady-seconds", 3600.0), (patience, "--patience-seconds", 86_400.0) })
        {
            option.Validators.Add(r =>
            {
                if (!(r.GetValueOrDefault<double>() is >= 1 and var v && v <= max))
                {
                    r.AddError($"{name} must be 1 to {max}.");
                }
            });
        }

        drop.Validators.Add(r =>
        {
            if (!(r.GetValueOrDefault<double>() is >= 0 and <= 0.5))
            {
                r.AddError("--drop must be 0 to 0.5.");
            }
        });

        var command = new Command("membership", Description) { sizes, seed, trials, steady, patience, drop, markdown, json, quiet };
        command.SetAction(async (result, ct) =>
        {
            var settings = new ScaleSettings
            {
                Sizes = ParseSizes(result.GetValue(sizes))!,
                Seed = result.GetValue(seed),
                Trials = result.GetValue(trials),
                SteadyWindow = TimeSpan.FromSeconds(result.GetValue(steady)),
                Patience = TimeSpan.FromSeconds(result.GetValue(patience)),
                DropProbability = result.GetValue(drop),
                Progress = result.GetValue(quiet) ? null : line => stderr.WriteLine(line),
            };
            var results = new List<ScaleResult>();
            foreach (var n in settings.Sizes)
            {
                results.Add(await ScaleSimulation.RunAsync(settings, n, ct));
            }

            ScaleReport.WriteText(stdout, results);
            var line = "kvsim " + string.Join(" ", result.Tokens.Select(t => t.Value));
            if (result.GetValue(markdown) is { } md)
            {
                await File.WriteAllTextAsync(md.FullName, ScaleReport.Markdown(results, line.TrimEnd()), ct);
            }

            if (result.GetValue(json) is { } js)
            {
                await File.WriteAllTextAsync(js.FullName, ScaleReport.Json(results) + "\n", ct);
            }

            return results.All(r => r.Complete) ? 0 : KvsimApp.Incomplete;
        });
        return command;
    }

    /// <summary>The sizes, or null if any is not a whole number from 2 to 1000.</summary>
    internal static IReadOnlyList<int>? ParseSizes(string? text)
    {
        var parts = (text ?? "").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        var sizes = new List<int>();
        foreach (var p in parts)
        {
            if (!int.TryParse(p, NumberStyles.None, CultureInfo.InvariantCulture, out var n) || n is < 2 or > 1000)
            {
                return null;
            }

            sizes.Add(n);
        }

        return sizes.Count == 0 ? null : sizes;
    }
}
