using System.CommandLine;

namespace KvStore.Kvctl.Cluster;

/// <summary>What one cluster command needs: an admin client, the node to ask, and where to write.</summary>
internal sealed record AdminInvocation(AdminClient Client, string Address, bool Json, TextWriter Output, TextWriter Error);

/// <summary>
/// The admin-port twin of <see cref="CommandRunner"/>: runs a cluster command body and turns every
/// failure into one line on stderr and the same exit codes as the data commands.
/// </summary>
internal static class AdminRunner
{
    /// <summary>The same default deadline as a data command's (see <see cref="GlobalOptions.Timeout"/>).</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(10);

    public static void SetAction(Command command, GlobalOptions globals, Option<string> admin, Func<ParseResult, AdminInvocation, CancellationToken, Task<int>> body) =>
        command.SetAction((result, cancellationToken) => RunAsync(result, globals, admin, body, cancellationToken));

    private static async Task<int> RunAsync(ParseResult result, GlobalOptions globals, Option<string> admin, Func<ParseResult, AdminInvocation, CancellationToken, Task<int>> body, CancellationToken cancellationToken)
    {
        var stdout = result.InvocationConfiguration.Output;
        var stderr = result.InvocationConfiguration.Error;
        var timeout = result.GetValue(globals.Timeout) is { } seconds ? TimeSpan.FromSeconds(seconds) : DefaultTimeout;
        try
        {
            using var client = new AdminClient(timeout);
            var json = result.GetValue(globals.Output) == "json";
            return await body(result, new AdminInvocation(client, result.GetValue(admin)!.Trim(), json, stdout, stderr), cancellationToken);
        }
        catch (AdminUnreachableException e)
        {
            await stderr.WriteLineAsync($"error: {e.Message}");
            return ExitCodes.Unreachable;
        }
        catch (AdminResponseException e)
        {
            await stderr.WriteLineAsync($"error: {e.Message}");
            return ExitCodes.Error;
        }
        catch (UsageException e)
        {
            await stderr.WriteLineAsync($"error: {e.Message}");
            return ExitCodes.Error;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            await stderr.WriteLineAsync("error: cancelled");
            return ExitCodes.Cancelled;
        }
    }
}
