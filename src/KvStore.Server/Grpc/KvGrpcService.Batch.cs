using Google.Protobuf;
using Grpc.Core;
using KvStore.Cluster.Replication;
using KvStore.Protocol.V1;

namespace KvStore.Server.Grpc;

/// <summary>
/// Batch: many operations in one call, each carried out by the same method as its single RPC and
/// answered with its own status, so an operation behaves alike in and out of a batch.
/// </summary>
internal sealed partial class KvGrpcService
{
    /// <summary>
    /// Keys one batch works on at once: enough to fill the storage writer's group commits and the
    /// peer streams. All batches together are further held to <see cref="BatchSlots"/>, so they
    /// wait rather than fail with RESOURCE_EXHAUSTED when many arrive at once.
    /// </summary>
    private const int MaxKeysInFlight = 128;

    /// <summary>Room for each result's field tag and length prefix in the encoded answer.</summary>
    private const int ResultFraming = 8;

    public override async Task<BatchResponse> Batch(BatchRequest request, ServerCallContext context)
    {
        var operations = request.Operations;
        validate.BatchSize(operations.Count);

        // The level is shared, so a bad one fails the whole batch before anything runs.
        RequestValidator.Level(request.Consistency);

        // Operations on one key run one after another, in request order; keys run concurrently.
        var results = new BatchResult[operations.Count];
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = MaxKeysInFlight, CancellationToken = context.CancellationToken };
        await Parallel.ForEachAsync(GroupByKey(operations), parallel, async (indices, cancellationToken) =>
        {
            foreach (var i in indices)
            {
                await batchSlots.WaitAsync(cancellationToken);
                try
                {
                    results[i] = await RunWhenRoomAsync(operations[i], request.Consistency, cancellationToken);
                }
                finally
                {
                    batchSlots.Release();
                }
            }
        });

        FitMessageLimit(results);
        var response = new BatchResponse();
        response.Results.Add(results);
        return response;
    }

    /// <summary>Attempts at an operation the coordinator refused as overloaded before the batch reports it.</summary>
    private const int OverloadAttempts = 50;

    /// <summary>
    /// Runs an operation, trying again after a pause when the coordinator refused it as overloaded.
    /// That refusal comes before anything is done (replication of earlier writes still holds the
    /// coordinator's slots), so trying again cannot apply a write twice.
    /// </summary>
    private async Task<BatchResult> RunWhenRoomAsync(BatchOperation operation, Consistency consistency, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            var result = await RunAsync(operation, consistency, cancellationToken, retryOverload: attempt < OverloadAttempts);
            if (result is not null)
            {
                return result;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(Math.Min(2 * attempt, 20)), cancellationToken);
        }
    }

    /// <returns>The operation's result, or null when it was refused as overloaded and <paramref name="retryOverload"/> says it will be tried again.</returns>
    private async Task<BatchResult?> RunAsync(BatchOperation operation, Consistency consistency, CancellationToken cancellationToken, bool retryOverload)
    {
        try
        {
            return operation.OpCase switch
            {
                BatchOperation.OpOneofCase.Get => new BatchResult { Get = await GetAsync(operation.Get, consistency, cancellationToken) },
                BatchOperation.OpOneofCase.Put => new BatchResult { Put = await PutAsync(operation.Put, consistency, cancellationToken) },
                BatchOperation.OpOneofCase.Delete => new BatchResult { Delete = await DeleteAsync(operation.Delete, consistency, cancellationToken) },
                BatchOperation.OpOneofCase.SetAdd => new BatchResult { Set = await SetAddAsync(operation.SetAdd, consistency, cancellationToken) },
                BatchOperation.OpOneofCase.SetRemove => new BatchResult { Set = await SetRemoveAsync(operation.SetRemove, consistency, cancellationToken) },
                BatchOperation.OpOneofCase.SetMembers => new BatchResult { SetMembers = await SetMembersAsync(operation.SetMembers, consistency, cancellationToken) },
                _ => throw new RpcException(new Status(
                    StatusCode.InvalidArgument,
                    "the operation carries no request this node knows; set one of get, put, delete, set_add, set_remove, set_members")),
            };
        }
        catch (OverloadedException) when (retryOverload && !cancellationToken.IsCancellationRequested)
        {
            return null;
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested)
        {
            var status = StatusMapping.ToStatus(e);
            return new BatchResult { Code = (int)status.StatusCode, Message = status.Detail };
        }
    }

    /// <summary>The operations' indices grouped by key, each group in request order, groups in order of first appearance.</summary>
    private static List<List<int>> GroupByKey(IReadOnlyList<BatchOperation> operations)
    {
        var groups = new List<List<int>>();
        var byKey = new Dictionary<ByteString, List<int>>();
        for (var i = 0; i < operations.Count; i++)
        {
            var key = KeyOf(operations[i]);
            if (!byKey.TryGetValue(key, out var group))
            {
                group = [];
                byKey.Add(key, group);
                groups.Add(group);
            }

            group.Add(i);
        }

        return groups;
    }

    private static ByteString KeyOf(BatchOperation operation) => operation.OpCase switch
    {
        BatchOperation.OpOneofCase.Get => operation.Get.Key,
        BatchOperation.OpOneofCase.Put => operation.Put.Key,
        BatchOperation.OpOneofCase.Delete => operation.Delete.Key,
        BatchOperation.OpOneofCase.SetAdd => operation.SetAdd.Key,
        BatchOperation.OpOneofCase.SetRemove => operation.SetRemove.Key,
        BatchOperation.OpOneofCase.SetMembers => operation.SetMembers.Key,
        _ => ByteString.Empty,
    };

    /// <summary>
    /// Keeps the answer within Limits:MaxMessageBytes, as a request must be: the first read whose
    /// result would take it past, and every read after it, is answered RESOURCE_EXHAUSTED instead.
    /// Only reads, because a read changed nothing and can simply be asked again; a write's result
    /// (a context) is small and always reported, since the write has happened.
    /// </summary>
    private void FitMessageLimit(BatchResult[] results)
    {
        long size = 0;
        var full = false;
        for (var i = 0; i < results.Length; i++)
        {
            var bytes = results[i].CalculateSize() + ResultFraming;
            var isRead = results[i].ResultCase is BatchResult.ResultOneofCase.Get or BatchResult.ResultOneofCase.SetMembers;
            if (isRead && (full || size + bytes > validate.MaxMessageBytes))
            {
                full = true;
                results[i] = new BatchResult
                {
                    Code = (int)StatusCode.ResourceExhausted,
                    Message = $"the batch's answer reached the message limit of {validate.MaxMessageBytes} bytes (Limits:MaxMessageBytes); read this key on its own or in a smaller batch",
                };
                bytes = results[i].CalculateSize() + ResultFraming;
            }

            size += bytes;
        }
    }
}
