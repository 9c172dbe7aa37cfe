namespace KvStore.Kvctl.Cluster;

/// <summary>No HTTP answer from an admin address: refused, unresolvable or past the deadline.</summary>
internal sealed class AdminUnreachableException(string address, string reason, Exception? innerException = null)
    : Exception($"cannot reach admin endpoint {address}: {reason}", innerException)
{
    public string Address { get; } = address;

    public string Reason { get; } = reason;
}

/// <summary>The admin endpoint answered, but not with what the contract promises (an error status or bad JSON).</summary>
internal sealed class AdminResponseException(string message, Exception? innerException = null) : Exception(message, innerException);
