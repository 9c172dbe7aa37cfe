using System.CommandLine;
using Grpc.Core;
using KvStore.Client;

namespace KvStore.Kvctl;

/// <summary>
/// Runs a command body with a client and turns every failure into one line on stderr and an
/// exit code, so no command repeats the error handling and no stack trace reaches the user.
/// </summary>
internal static class CommandRunner
{
    public static void SetAction(Command command, GlobalOptions globals, Func<ParseResult, Invocation, CancellationToken, Task<int>> body) =>
        command.SetAction((result, cancellationToken) => RunAsync(result, globals, body, cancellationToken));

    private static async Task<int> RunAsync(ParseResult result, GlobalOptions globals, Func<ParseResult, Invocation, CancellationToken, Task<int>> body, CancellationToken cancellationToken)
    {
        var stdout = result.InvocationConfiguration.Output;
        var stderr = result.InvocationConfiguration.Error;
        var endpoints = GlobalOptions.SplitEndpoints(result.GetValue(globals.Endpoints));
        try
        {
            await using var client = CreateClient(globals.ClientOptions(result, endpoints));
            var json = result.GetValue(globals.Output) == "json";
            return await body(result, new Invocation(client, new ResultWriter(stdout, json), stderr), cancellationToken);
        }
        catch (KvException e) when (e.IsUnreachable)
        {
            await stderr.WriteLineAsync($"error: cannot reach {string.Join(',', endpoints)}: {Reason(e)}");
            return ExitCodes.Unreachable;
        }
        catch (KvException e)
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

    private static KvClient CreateClient(KvClientOptions options)
    {
        try
        {
            return new KvClient(options);
        }
        catch (ArgumentException e)
        {
            throw new UsageException(e.Message, e);
        }
    }

    /// <summary>The most specific cause of a connection failure, e.g. "Connection refused".</summary>
    private static string Reason(KvException e)
    {
        if (e.StatusCode == StatusCode.DeadlineExceeded)
        {
            return "no connection before the deadline";
        }

        Exception? cause = (e.InnerException as RpcException)?.Status.DebugException;
        while (cause?.InnerException is not null)
        {
            cause = cause.InnerException;
        }

        return cause?.Message ?? e.Detail;
    }

    /// <summary>Parses --context, reporting bad input as a usage error rather than a crash.</summary>
    public static KvContext? ParseContext(string? base64)
    {
        if (base64 is null)
        {
            return null;
        }

        try
        {
            return KvContext.FromBase64(base64);
        }
        catch (FormatException e)
        {
            throw new UsageException("--context is not valid base64.", e);
        }
    }
}
