using System.CommandLine;
using System.Globalization;
using System.Text.Json;

namespace KvStore.Kvctl.Cluster;

/// <summary>
/// cluster members, ring and health: the operator's view of the cluster, read from one node's
/// admin port (<c>/debug/routingtable</c>) and, for health, from every member's <c>/healthz</c>.
/// </summary>
internal static class ClusterCommands
{
    private const string RoutingTablePath = "/debug/routingtable";

    public static Command Create(GlobalOptions globals)
    {
        var admin = new Option<string>("--admin")
        {
            Description = $"Admin HTTP address of the node to ask (HOST:PORT); the default comes from ${AdminAddress.Variable} if set, else {AdminAddress.Default}",
            HelpName = "HOST:PORT",
            Recursive = true,
            // Read at parse time, like --endpoints, so the variable in effect for this run is the one used.
            DefaultValueFactory = _ => Environment.GetEnvironmentVariable(AdminAddress.Variable) is { Length: > 0 } fromEnv ? fromEnv : AdminAddress.Default,
        };
        var command = new Command("cluster", "Inspect the cluster through a node's admin port") { admin };
        command.Subcommands.Add(Members(globals, admin));
        command.Subcommands.Add(Ring(globals, admin));
        command.Subcommands.Add(Health(globals, admin));
        command.Subcommands.Add(HandoffCommands.Handoff(globals, admin));
        command.Subcommands.Add(HandoffCommands.Leave(globals, admin));
        return command;
    }

    private static Command Members(GlobalOptions globals, Option<string> admin)
    {
        var command = new Command("members", "List the members the node's gossip knows, with state and incarnation");
        AdminRunner.SetAction(command, globals, admin, async (_, run, cancellationToken) =>
        {
            using var doc = await run.Client.GetJsonAsync(run.Address, RoutingTablePath, cancellationToken);
            var routing = RoutingTable.From(doc.RootElement, run.Address);
            if (run.Json)
            {
                await ResultWriter.WriteJsonLineAsync(run.Output, w => doc.RootElement.GetProperty("members").WriteTo(w));
                return ExitCodes.Ok;
            }

            var table = new TextTable("ID", "ADDRESS", "ADMIN", "STATE", "INCARNATION");
            foreach (var member in routing.Members.OrderBy(m => m.Id, NodeIdComparer.Instance))
            {
                table.Add(
                    member.Self ? $"{member.Id} (self)" : member.Id,
                    member.Address,
                    member.Admin ?? "-",
                    member.State,
                    member.Incarnation.ToString(CultureInfo.InvariantCulture));
            }

            await table.WriteAsync(run.Output);
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command Ring(GlobalOptions globals, Option<string> admin)
    {
        var key = new Option<string>("--key")
        {
            Description = "Also print the preference list of this key (UTF-8): the nodes that hold it, in order",
            HelpName = "KEY",
        };
        var command = new Command("ring", "Show each node's tokens and share of the hash ring") { key };
        AdminRunner.SetAction(command, globals, admin, async (result, run, cancellationToken) =>
        {
            var name = result.GetValue(key);
            var path = name is null ? RoutingTablePath : $"{RoutingTablePath}?key={Uri.EscapeDataString(name)}";
            using var doc = await run.Client.GetJsonAsync(run.Address, path, cancellationToken);
            var routing = RoutingTable.From(doc.RootElement, run.Address);
            var ring = routing.Ring
                ?? throw new AdminResponseException($"admin endpoint {run.Address} reports no ring; is the node older than clustering?");
            if (name is not null && routing.PreferenceList is null)
            {
                throw new AdminResponseException($"admin endpoint {run.Address} returned no preference list for the key");
            }

            if (run.Json)
            {
                await ResultWriter.WriteJsonLineAsync(run.Output, doc.RootElement.WriteTo);
                return ExitCodes.Ok;
            }

            var table = new TextTable("NODE", "TOKENS", "PRIMARY %", "REPLICA %");
            foreach (var node in ring.Nodes.OrderBy(n => n.Id, NodeIdComparer.Instance))
            {
                table.Add(node.Id, node.Tokens.ToString(CultureInfo.InvariantCulture), Percent(node.PrimaryOwnership), Percent(node.ReplicaOwnership));
            }

            await table.WriteAsync(run.Output);
            if (name is not null)
            {
                // The server's order is the point: the first N entries are the replicas, the rest the fallbacks.
                var preference = new TextTable("#", "NODE", "ADDRESS", "STATE");
                var position = 1;
                foreach (var entry in routing.PreferenceList!)
                {
                    preference.Add((position++).ToString(CultureInfo.InvariantCulture), entry.Id, entry.Address, entry.State);
                }

                await run.Output.WriteAsync($"\npreference list for {name}\n");
                await preference.WriteAsync(run.Output);
            }

            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command Health(GlobalOptions globals, Option<string> admin)
    {
        var command = new Command(
            "health",
            "Ask every member's /healthz at once; exit 1 if a member gossip calls alive is not serving");
        AdminRunner.SetAction(command, globals, admin, async (_, run, cancellationToken) =>
        {
            using var doc = await run.Client.GetJsonAsync(run.Address, RoutingTablePath, cancellationToken);
            var members = RoutingTable.From(doc.RootElement, run.Address).Members
                .OrderBy(m => m.Id, NodeIdComparer.Instance)
                .ToArray();
            var probes = await Task.WhenAll(members.Select(m => ProbeAsync(run, m, cancellationToken)));

            if (run.Json)
            {
                await ResultWriter.WriteJsonLineAsync(run.Output, w => WriteHealthJson(w, members, probes));
            }
            else
            {
                var table = new TextTable("ID", "STATE", "HEALTH", "LATENCY");
                for (var i = 0; i < members.Length; i++)
                {
                    table.Add(members[i].Id, members[i].State, probes[i].Health, probes[i].Latency is { } latency ? $"{Milliseconds(latency)} ms" : "-");
                }

                await table.WriteAsync(run.Output);
            }

            var failing = members.Zip(probes)
                .Where(p => p.First.State == "alive" && p.Second.Health != HealthProbe.Serving)
                .Select(p => p.Second.Reason is null ? $"{p.First.Id} ({p.Second.Health})" : $"{p.First.Id} ({p.Second.Health}: {p.Second.Reason})")
                .ToArray();
            if (failing.Length == 0)
            {
                return ExitCodes.Ok;
            }

            await run.Error.WriteLineAsync($"error: alive but not serving: {string.Join(", ", failing)}");
            return ExitCodes.Error;
        });
        return command;
    }

    /// <summary>
    /// Probes a member at the admin address it gossips. A node from before clustering does not
    /// gossip one; for the node kvctl asked, the address the user gave is the same port.
    /// </summary>
    private static Task<HealthProbe> ProbeAsync(AdminInvocation run, Member member, CancellationToken cancellationToken)
    {
        var address = member.Admin ?? (member.Self ? run.Address : null);
        return address is null
            ? Task.FromResult(new HealthProbe(HealthProbe.Unreachable, null, "no admin address in the routing table"))
            : run.Client.ProbeHealthAsync(address, cancellationToken);
    }

    private static void WriteHealthJson(Utf8JsonWriter w, Member[] members, HealthProbe[] probes)
    {
        w.WriteStartArray();
        for (var i = 0; i < members.Length; i++)
        {
            w.WriteStartObject();
            w.WriteString("id", members[i].Id);
            w.WriteString("admin", members[i].Admin);
            w.WriteString("state", members[i].State);
            w.WriteString("health", probes[i].Health);
            if (probes[i].Latency is { } latency)
            {
                w.WriteNumber("latencyMs", Milliseconds(latency));
            }
            else
            {
                w.WriteNull("latencyMs");
            }

            if (probes[i].Reason is { } reason)
            {
                w.WriteString("reason", reason);
            }

            w.WriteEndObject();
        }

        w.WriteEndArray();
    }

    private static string Percent(double fraction) => (fraction * 100).ToString("0.0", CultureInfo.InvariantCulture);

    private static long Milliseconds(TimeSpan latency) => (long)Math.Round(latency.TotalMilliseconds, MidpointRounding.AwayFromZero);
}
