using System.CommandLine;
using KvStore.Kvctl.Cluster;
using KvStore.Kvctl.Dev;

namespace KvStore.Kvctl;

/// <summary>The kvctl command tree, runnable in-process with any writers.</summary>
internal static class KvctlApp
{
    /// <summary>Runs kvctl with <paramref name="args"/>, reading stdin from the console; returns the exit code.</summary>
    public static Task<int> RunAsync(string[] args, TextWriter stdout, TextWriter stderr, CancellationToken cancellationToken) =>
        RunAsync(args, stdout, stderr, Console.OpenStandardInput, cancellationToken);

    /// <summary>Runs kvctl with a given source for <c>put KEY -</c> and <c>batch -</c>, so tests need not touch the console.</summary>
    public static Task<int> RunAsync(string[] args, TextWriter stdout, TextWriter stderr, Func<Stream> openStdin, CancellationToken cancellationToken)
    {
        var root = BuildRootCommand(openStdin);
        var configuration = new InvocationConfiguration
        {
            Output = stdout,
            Error = stderr,
            // After Ctrl+C or SIGTERM, System.CommandLine returns on its own once this has passed,
            // and the process ends. dev cluster needs that long to stop its nodes, or they would
            // outlive it; every other command ends as soon as its call is cancelled.
            ProcessTerminationTimeout = LocalCluster.StopBudget,
        };
        return root.Parse(args).InvokeAsync(configuration, cancellationToken);
    }

    private static RootCommand BuildRootCommand(Func<Stream> openStdin)
    {
        var globals = new GlobalOptions();
        var root = new RootCommand("kvctl: read and write keys of a KvStore cluster, inspect it, or run one locally.");
        globals.AddTo(root);
        root.Subcommands.Add(RegisterCommands.Get(globals));
        root.Subcommands.Add(RegisterCommands.Put(globals, openStdin));
        root.Subcommands.Add(RegisterCommands.Delete(globals));
        root.Subcommands.Add(SetCommands.Create(globals));
        root.Subcommands.Add(BatchCommand.Create(globals, openStdin));
        root.Subcommands.Add(ClusterCommands.Create(globals));
        root.Subcommands.Add(DevCommands.Create());
        return root;
    }
}
