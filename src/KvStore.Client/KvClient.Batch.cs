using Grpc.Core;
using Rpc = KvStore.Protocol.V1;

namespace KvStore.Client;

/// <summary>Batches: many operations in one round trip, each with its own result.</summary>
public sealed partial class KvClient
{
    /// <summary>Starts an empty batch; add operations to it, then pass it to <see cref="ExecuteAsync"/>.</summary>
    public KvBatch CreateBatch() => new();

    /// <summary>
    /// Sends every operation of <paramref name="batch"/> in one call. Each operation succeeds or
    /// fails on its own (no atomicity across keys); operations on the same key are applied in the
    /// order they were added.
    /// </summary>
    /// <param name="batch">One operation at least, and at most the server's Limits:MaxBatchOperations (1000 by default).</param>
    /// <param name="consistency">How many replicas must answer, for every operation; Default uses the client's, then the server's, level.</param>
    /// <param name="cancellationToken">Abandons the call; it then throws <see cref="OperationCanceledException"/>.</param>
    /// <returns>One result per operation, in the order they were added. A failed operation is a result, not an exception.</returns>
    /// <exception cref="KvException">
    /// The whole call failed: INVALID_ARGUMENT for an empty batch or one over the server's limit,
    /// RESOURCE_EXHAUSTED for one over the message limit, or the node could not be reached.
    /// </exception>
    public async Task<IReadOnlyList<KvBatchResult>> ExecuteAsync(KvBatch batch, KvConsistency consistency = KvConsistency.Default, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(batch);
        var request = new Rpc.BatchRequest { Consistency = Wire(consistency) };
        request.Operations.Add(batch.Operations);
        var kinds = batch.Kinds.ToArray();
        var response = await InvokeAsync(request, static (c, r, o) => c.BatchAsync(r, o), cancellationToken).ConfigureAwait(false);
        if (response.Results.Count != kinds.Length)
        {
            throw new KvException(StatusCode.Internal, $"the server answered {response.Results.Count} results for {kinds.Length} operations");
        }

        var results = new KvBatchResult[kinds.Length];
        for (var i = 0; i < results.Length; i++)
        {
            results[i] = ToResult(kinds[i], response.Results[i]);
        }

        return results;
    }

    private static KvBatchResult ToResult(KvOperationKind kind, Rpc.BatchResult result)
    {
        var status = (StatusCode)result.Code;
        if (status != StatusCode.OK)
        {
            return new KvBatchResult(kind, status, result.Message);
        }

        return result.ResultCase switch
        {
            Rpc.BatchResult.ResultOneofCase.Get => new KvBatchResult(kind, status, "", value: ToValue(result.Get)),
            Rpc.BatchResult.ResultOneofCase.SetMembers => new KvBatchResult(kind, status, "", set: ToSet(result.SetMembers)),
            Rpc.BatchResult.ResultOneofCase.Put => new KvBatchResult(kind, status, "", context: KvContext.FromWire(result.Put.Context)),
            Rpc.BatchResult.ResultOneofCase.Set => new KvBatchResult(kind, status, "", context: KvContext.FromWire(result.Set.Context)),
            _ => new KvBatchResult(kind, status, ""),
        };
    }
}
