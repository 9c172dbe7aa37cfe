using System.CommandLine;

namespace KvStore.Kvctl.Dev;

/// <summary>dev cluster: a whole cluster on this machine in one command, for trying things out.</summary>
internal static class DevCommands
{
    public static Command Create()
    {
        var command = new Command("dev", "Tools for development on one machine");
        command.Subcommands.Add(Cluster());
        return command;
    }

    private static Command Cluster()
    {
        var nodes = new Option<int>("--nodes")
        {
            Description = $"How many nodes to start (1..{LocalClusterPlan.MaxNodes})",
            HelpName = "N",
            DefaultValueFactory = _ => 3,
        };
        var basePort = new Option<int>("--base-port")
        {
            Description = "gRPC port of node1; node i takes BASE+2(i-1) for gRPC and UDP gossip and the next port for admin",
            HelpName = "PORT",
            DefaultValueFactory = _ => 7070,
        };
        var dir = new Option<string>("--dir")
        {
            Description = "Directory holding each node's data directory (node1, node2, ...); kept between runs",
            HelpName = "PATH",
            DefaultValueFactory = _ => "./cluster",
        };
        var server = new Option<string>("--server")
        {
            Description = $"The server to run: a KvStore.Server.dll (run with dotnet) or an executable; default ${ServerLocator.Variable}, else the build of src/KvStore.Server",
            HelpName = "PATH",
        };
        var command = new Command("cluster", "Start a local cluster on 127.0.0.1 and run it until Ctrl+C") { nodes, basePort, dir, server };
        command.Validators.Add(result =>
        {
            if (LocalClusterPlan.Problem(result.GetValue(nodes), result.GetValue(basePort)) is { } problem)
            {
                result.AddError(problem);
            }
        });
        command.SetAction(async (result, cancellationToken) =>
        {
            var stderr = result.InvocationConfiguration.Error;
            ServerCommand located;
            try
            {
                located = ServerLocator.Locate(result.GetValue(server));
            }
            catch (UsageException e)
            {
                await stderr.WriteLineAsync($"error: {e.Message}");
                return ExitCodes.Error;
            }

            var plan = LocalClusterPlan.Create(result.GetValue(nodes), result.GetValue(basePort), Path.GetFullPath(result.GetValue(dir)!));
            return await new LocalCluster(plan, located, result.InvocationConfiguration.Output, stderr).RunAsync(cancellationToken);
        });
        return command;
    }
}
