using Google.Protobuf;
using Grpc.Core;
using Rpc = KvStore.Protocol.V1;

namespace KvStore.Client;

/// <summary>Call plumbing shared by every operation: deadline, failover, error mapping.</summary>
public sealed partial class KvClient
{
    private async Task<TResponse> InvokeAsync<TRequest, TResponse>(
        TRequest request,
        Func<Rpc.KvStore.KvStoreClient, TRequest, CallOptions, AsyncUnaryCall<TResponse>> call,
        CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);

        // One deadline for the whole call, failover included, so Timeout bounds what the caller waits.
        var options = new CallOptions(deadline: Deadline(), cancellationToken: cancellationToken);
        var first = Volatile.Read(ref _current);
        for (var attempt = 0; ; attempt++)
        {
            var index = (first + attempt) % _endpoints.Length;
            var endpoint = _endpoints[index];
            try
            {
                var response = await call(endpoint.Client, request, options).ConfigureAwait(false);
                if (index != first)
                {
                    Volatile.Write(ref _current, index);
                }

                return response;
            }
            catch (RpcException e) when (e.StatusCode == StatusCode.Cancelled && cancellationToken.IsCancellationRequested)
            {
                throw new OperationCanceledException("The call was cancelled.", e, cancellationToken);
            }
            catch (RpcException e)
            {
                var unreachable = endpoint.IsUnreachable(e);
                var more = attempt + 1 < _endpoints.Length;
                if (!(unreachable && more && e.StatusCode == StatusCode.Unavailable))
                {
                    throw KvException.FromRpc(e, unreachable);
                }
            }
        }
    }

    /// <summary>Index of the endpoint the next call starts with; exposed for tests of stickiness.</summary>
    internal int CurrentEndpointIndex => Volatile.Read(ref _current);

    private DateTime? Deadline()
    {
        if (_timeout == Timeout.InfiniteTimeSpan)
        {
            return null;
        }

        var now = DateTime.UtcNow;
        return DateTime.MaxValue - now < _timeout ? DateTime.MaxValue : now + _timeout;
    }

    /// <summary>Maps a per-call level onto the wire, filling in the client's default.</summary>
    private Rpc.Consistency Wire(KvConsistency consistency)
    {
        if (!Enum.IsDefined(consistency))
        {
            throw new ArgumentOutOfRangeException(nameof(consistency), consistency, "Not a known consistency level.");
        }

        var effective = consistency == KvConsistency.Default ? _defaultConsistency : consistency;
        return effective switch
        {
            KvConsistency.One => Rpc.Consistency.One,
            KvConsistency.Quorum => Rpc.Consistency.Quorum,
            KvConsistency.All => Rpc.Consistency.All,
            _ => Rpc.Consistency.Default,
        };
    }

    internal static ByteString Bytes(ReadOnlyMemory<byte> bytes) => ByteString.CopyFrom(bytes.Span);

    internal static ByteString Utf8(string text, string paramName)
    {
        ArgumentNullException.ThrowIfNull(text, paramName);
        return ByteString.CopyFromUtf8(text);
    }

    internal static IEnumerable<ByteString> Elements(IEnumerable<ReadOnlyMemory<byte>> elements)
    {
        ArgumentNullException.ThrowIfNull(elements);
        return elements.Select(Bytes).ToList();
    }

    internal static IEnumerable<ByteString> Elements(IEnumerable<string> elements)
    {
        ArgumentNullException.ThrowIfNull(elements);
        return elements.Select(e => Utf8(e, nameof(elements))).ToList();
    }
}
