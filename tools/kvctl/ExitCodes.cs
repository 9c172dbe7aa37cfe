namespace KvStore.Kvctl;

/// <summary>
/// Exit codes scripts can branch on: "the store said no" (1) is a different problem from "no node
/// answered" (2), which a script may want to retry or alert on.
/// </summary>
internal static class ExitCodes
{
    public const int Ok = 0;

    /// <summary>The request failed, the key was missing with --fail-if-missing, or the command line was wrong.</summary>
    public const int Error = 1;

    /// <summary>No endpoint could be reached.</summary>
    public const int Unreachable = 2;

    /// <summary>Interrupted (Ctrl+C), by the shell convention 128 + SIGINT.</summary>
    public const int Cancelled = 130;
}
