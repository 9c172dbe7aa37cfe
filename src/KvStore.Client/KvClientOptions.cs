namespace KvStore.Client;

/// <summary>Settings of a <see cref="KvClient"/>, checked once by <see cref="Validate"/> when a client is built.</summary>
public sealed class KvClientOptions
{
    /// <summary>The size the message limits default to: far above any value a server accepts.</summary>
    public const int DefaultMaxMessageBytes = 16 * 1024 * 1024;

    /// <summary>
    /// Nodes to talk to, in order of preference: <c>host:port</c> (plaintext HTTP/2) or a full
    /// http:// or https:// URI. Every node coordinates any request, so the client uses one at a
    /// time and moves to the next only when the current one cannot be reached. Replace the list
    /// rather than adding to it, or the default stays first.
    /// </summary>
    public IList<string> Endpoints { get; set; } = new List<string> { "127.0.0.1:7070" };

    /// <summary>
    /// Deadline of one call, failover included: a call that has not finished by then fails with
    /// DEADLINE_EXCEEDED and frees the caller, however slow the cluster is. 10 s is long enough for
    /// a quorum write across a struggling cluster. <see cref="Timeout.InfiniteTimeSpan"/> disables it.
    /// </summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Largest request the client will send. Set high on purpose so that the server, which knows
    /// its own limits, is the one to reject a value as too big (RESOURCE_EXHAUSTED or INVALID_ARGUMENT).
    /// </summary>
    public int MaxSendMessageBytes { get; set; } = DefaultMaxMessageBytes;

    /// <summary>Largest response the client will accept; high for the same reason as <see cref="MaxSendMessageBytes"/>.</summary>
    public int MaxReceiveMessageBytes { get; set; } = DefaultMaxMessageBytes;

    /// <summary>
    /// The level used when a call passes <see cref="KvConsistency.Default"/>; left at Default, the
    /// server's configured level applies.
    /// </summary>
    public KvConsistency DefaultConsistency { get; set; } = KvConsistency.Default;

    /// <summary>
    /// Checks every setting and returns the parsed endpoint addresses, so that a bad setting fails
    /// when the client is built rather than on its first call.
    /// </summary>
    /// <exception cref="ArgumentException">A setting is out of range; the message names it.</exception>
    public IReadOnlyList<Uri> Validate()
    {
        if (Endpoints is null || Endpoints.Count == 0)
        {
            throw new ArgumentException($"{nameof(KvClientOptions)}.{nameof(Endpoints)} must name at least one endpoint.");
        }

        var addresses = Endpoints.Select(KvEndpoint.Parse).ToArray();

        if (Timeout != System.Threading.Timeout.InfiniteTimeSpan && Timeout <= TimeSpan.Zero)
        {
            throw new ArgumentException($"{nameof(KvClientOptions)}.{nameof(Timeout)} must be positive or Timeout.InfiniteTimeSpan; it is {Timeout}.");
        }

        if (MaxSendMessageBytes <= 0)
        {
            throw new ArgumentException($"{nameof(KvClientOptions)}.{nameof(MaxSendMessageBytes)} must be positive; it is {MaxSendMessageBytes}.");
        }

        if (MaxReceiveMessageBytes <= 0)
        {
            throw new ArgumentException($"{nameof(KvClientOptions)}.{nameof(MaxReceiveMessageBytes)} must be positive; it is {MaxReceiveMessageBytes}.");
        }

        if (!Enum.IsDefined(DefaultConsistency))
        {
            throw new ArgumentException($"{nameof(KvClientOptions)}.{nameof(DefaultConsistency)} is not a known level: {(int)DefaultConsistency}.");
        }

        return addresses;
    }
}
