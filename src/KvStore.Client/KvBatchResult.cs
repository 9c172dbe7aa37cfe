using Grpc.Core;

namespace KvStore.Client;

/// <summary>
/// The outcome of one operation of a <see cref="KvBatch"/>: its own status and, when it succeeded,
/// what the single call would have returned.
/// </summary>
public sealed class KvBatchResult
{
    internal KvBatchResult(KvOperationKind operation, StatusCode statusCode, string detail, KvValue? value = null, KvSet? set = null, KvContext? context = null)
    {
        Operation = operation;
        StatusCode = statusCode;
        Detail = detail;
        Value = value;
        Set = set;
        Context = context;
    }

    /// <summary>The operation this result answers.</summary>
    public KvOperationKind Operation { get; }

    /// <summary>
    /// <see cref="StatusCode.OK"/>, or the status the operation would have failed with on its own:
    /// <see cref="StatusCode.InvalidArgument"/> for an empty key, <see cref="StatusCode.FailedPrecondition"/>
    /// for a key of the other type, <see cref="StatusCode.Unavailable"/> for too few replicas...
    /// </summary>
    public StatusCode StatusCode { get; }

    /// <summary>The server's explanation of a failure, without the status name; empty on success.</summary>
    public string Detail { get; }

    /// <summary>True when the operation succeeded.</summary>
    public bool IsSuccess => StatusCode == StatusCode.OK;

    /// <summary>A get's value and context; null when the key is missing or deleted, or for other operations.</summary>
    public KvValue? Value { get; }

    /// <summary>A set read's members and context; null when the set is missing, deleted or empty, or for other operations.</summary>
    public KvSet? Set { get; }

    /// <summary>The context after a put, set add or set remove, for a later write of the same key; null otherwise.</summary>
    public KvContext? Context { get; }

    /// <summary>Throws the <see cref="KvException"/> the single call would have thrown, if the operation failed.</summary>
    /// <returns>This result, so that a call can be chained: <c>results[0].EnsureSuccess().Value</c>.</returns>
    /// <exception cref="KvException">The operation failed.</exception>
    public KvBatchResult EnsureSuccess() => IsSuccess ? this : throw new KvException(StatusCode, Detail);

    /// <summary>Reads like the message of a <see cref="KvException"/>, or <c>OK</c>.</summary>
    public override string ToString() =>
        IsSuccess ? "OK" : string.IsNullOrEmpty(Detail) ? KvException.StatusName(StatusCode) : $"{KvException.StatusName(StatusCode)}: {Detail}";
}
