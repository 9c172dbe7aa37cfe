using System.CommandLine;
using KvStore.Kvsim.Membership;

namespace KvStore.Kvsim;

/// <summary>The kvsim command tree, runnable in-process with any writers.</summary>
internal static class KvsimApp
{
    /// <summary>Exit codes: 0 every measurement reached every node; 1 some did not; 2 bad usage.</summary>
    public const int Incomplete = 1;

    public const int Usage = 2;

    public static Task<int> RunAsync(string[] args, TextWriter stdout, TextWriter stderr, CancellationToken cancellationToken)
    {
        var root = new RootCommand("kvsim: simulations of KvStore's protocols on an in-memory network and a simulated clock.");
        root.Subcommands.Add(MembershipCommand.Create(stdout, stderr));
        var parsed = root.Parse(args);
        if (parsed.Errors.Count > 0)
        {
            foreach (var error in parsed.Errors)
            {
                stderr.WriteLine($"error: {error.Message}");
            }

            stderr.WriteLine("See kvsim --help.");
            return Task.FromResult(Usage);
        }

        return parsed.InvokeAsync(new InvocationConfiguration { Output = stdout, Error = stderr }, cancellationToken);
    }
}
