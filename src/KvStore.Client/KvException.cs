using Grpc.Core;

namespace KvStore.Client;

/// <summary>
/// The one exception the client throws for a failed request, so that callers catch a single type
/// and branch on <see cref="StatusCode"/> (for example <see cref="StatusCode.InvalidArgument"/> for
/// an empty key, <see cref="StatusCode.FailedPrecondition"/> for a set operation on a register).
/// The message reads like <c>INVALID_ARGUMENT: key is empty</c>.
/// </summary>
/// <remarks>
/// Cancellation through the caller's token is not a failure of the store and surfaces as
/// <see cref="OperationCanceledException"/> instead.
/// </remarks>
public sealed class KvException : Exception
{
    public KvException(StatusCode statusCode, string detail, bool isUnreachable = false, Exception? innerException = null)
        : base(FormatMessage(statusCode, detail), innerException)
    {
        StatusCode = statusCode;
        Detail = detail;
        IsUnreachable = isUnreachable;
    }

    /// <summary>The gRPC status of the failed call.</summary>
    public StatusCode StatusCode { get; }

    /// <summary>The server's (or the transport's) explanation, without the status name.</summary>
    public string Detail { get; }

    /// <summary>
    /// True when no endpoint could be reached (connection refused, name not resolved, or the
    /// deadline passed while still connecting), so the request never got to a server and retrying
    /// it is always safe. False for an UNAVAILABLE that a server sent because too few replicas
    /// answered: such a write may still have been applied on some replicas.
    /// </summary>
    public bool IsUnreachable { get; }

    internal static KvException FromRpc(RpcException e, bool isUnreachable) =>
        new(e.StatusCode, e.Status.Detail, isUnreachable, e);

    /// <summary>The canonical upper-case name used by every gRPC implementation, e.g. INVALID_ARGUMENT.</summary>
    public static string StatusName(StatusCode code) => code switch
    {
        StatusCode.OK => "OK",
        StatusCode.Cancelled => "CANCELLED",
        StatusCode.Unknown => "UNKNOWN",
        StatusCode.InvalidArgument => "INVALID_ARGUMENT",
        StatusCode.DeadlineExceeded => "DEADLINE_EXCEEDED",
        StatusCode.NotFound => "NOT_FOUND",
        StatusCode.AlreadyExists => "ALREADY_EXISTS",
        StatusCode.PermissionDenied => "PERMISSION_DENIED",
        StatusCode.ResourceExhausted => "RESOURCE_EXHAUSTED",
        StatusCode.FailedPrecondition => "FAILED_PRECONDITION",
        StatusCode.Aborted => "ABORTED",
        StatusCode.OutOfRange => "OUT_OF_RANGE",
        StatusCode.Unimplemented => "UNIMPLEMENTED",
        StatusCode.Internal => "INTERNAL",
        StatusCode.Unavailable => "UNAVAILABLE",
        StatusCode.DataLoss => "DATA_LOSS",
        StatusCode.Unauthenticated => "UNAUTHENTICATED",
        _ => ((int)code).ToString(System.Globalization.CultureInfo.InvariantCulture),
    };

    private static string FormatMessage(StatusCode code, string detail) =>
        string.IsNullOrEmpty(detail) ? StatusName(code) : $"{StatusName(code)}: {detail}";
}
