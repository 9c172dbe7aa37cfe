namespace KvStore.Kvbench;

/// <summary>Exit codes a script comparing runs can branch on.</summary>
internal static class ExitCodes
{
    public const int Ok = 0;

    /// <summary>More than <see cref="KvbenchApp.MaxFailedFraction"/> of the operations failed, or the records could not be loaded.</summary>
    public const int Failed = 1;

    /// <summary>The command line was wrong, or an endpoint did not answer before the run.</summary>
    public const int UsageOrUnreachable = 2;

    /// <summary>Interrupted (Ctrl+C), by the shell convention 128 + SIGINT.</summary>
    public const int Cancelled = 130;
}
