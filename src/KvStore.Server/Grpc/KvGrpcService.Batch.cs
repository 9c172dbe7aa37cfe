using Google.Protobuf;
using Grpc.Core;
using KvStore.Cluster;
using KvStore.Cluster.Replication;
using KvStore.Core.Crdt;
using KvStore.Storage;
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
        var level = RequestValidator.Level(request.Consistency);

        // Writes this node coordinates, each of a key no other operation names, are applied
        // together; every other operation runs as its own call would. Operations on one key run
        // one after another, in request order; keys run concurrently.
        var results = new BatchResult[operations.Count];
        var groups = GroupByKey(operations);
        var together = TakeTogether(operations, groups);
        var cancellationToken = context.CancellationToken;
        var runs = new List<Task>();
        var chunk = Math.Min(MaxKeysInFlight, batchSlots.Capacity);
        for (var start = 0; start < together.Count; start += chunk)
        {
            runs.Add(RunTogetherAsync(together.GetRange(start, Math.Min(chunk, together.Count - start)), request, level, results, cancellationToken));
        }

        var parallel = new ParallelOptions { MaxDegreeOfParallelism = MaxKeysInFlight, CancellationToken = cancellationToken };
        runs.Add(Parallel.ForEachAsync(groups, parallel, async (indices, token) =>
        {
            foreach (var i in indices)
            {
                await batchSlots.WaitAsync(token);
                try
                {
                    results[i] = await RunWhenRoomAsync(operations[i], request.Consistency, token);
                }
                finally
                {
                    batchSlots.Release();
                }
            }
        }));
        await Task.WhenAll(runs);

        FitMessageLimit(results);
        var response = new BatchResponse();
        response.Results.Add(results);
        return response;
    }

    /// <summary>
    /// Takes out of <paramref name="groups"/> the writes that can be applied together: a key's only
    /// operation, valid, and one this node coordinates without asking other replicas first.
    /// </summary>
    private List<TogetherWrite> TakeTogether(IReadOnlyList<BatchOperation> operations, List<List<int>> groups)
    {
        var together = new List<TogetherWrite>();
        groups.RemoveAll(group =>
        {
            if (group.Count != 1 || ToWrite(group[0], operations[group[0]]) is not { } write || !coordinator.CoordinatesHere(write.Key, write.Mutation))
            {
                return false;
            }

            together.Add(write);
            return true;
        });
        return together;
    }

    /// <summary>The key and mutation of a write operation; null for a read, or for a write that does not validate (its own call reports why).</summary>
    private TogetherWrite? ToWrite(int index, BatchOperation operation)
    {
        try
        {
            return operation.OpCase switch
            {
                BatchOperation.OpOneofCase.Put => new TogetherWrite(index, validate.Key(operation.Put.Key), ToMutation(operation.Put)),
                BatchOperation.OpOneofCase.Delete => new TogetherWrite(index, validate.Key(operation.Delete.Key), ToMutation(operation.Delete)),
                BatchOperation.OpOneofCase.SetAdd => new TogetherWrite(index, validate.Key(operation.SetAdd.Key), ToMutation(operation.SetAdd)),
                BatchOperation.OpOneofCase.SetRemove => new TogetherWrite(index, validate.Key(operation.SetRemove.Key), ToMutation(operation.SetRemove)),
                _ => null,
            };
        }
        catch (RpcException)
        {
            return null;
        }
    }

    /// <summary>
    /// Applies writes together through the coordinator (<see cref="Coordinator.CoordinateManyAsync"/>)
    /// and fills in their results, holding one of the batch slots. When the coordinator still has no
    /// room for all of them at once after a few tries, each runs as its own operation instead,
    /// waiting for room as single operations of a batch do; so other traffic cannot starve them.
    /// </summary>
    private async Task RunTogetherAsync(List<TogetherWrite> writes, BatchRequest request, ConsistencyLevel level, BatchResult[] results, CancellationToken cancellationToken)
    {
        var keys = new byte[writes.Count][];
        var mutations = new Mutation[writes.Count];
        for (var i = 0; i < writes.Count; i++)
        {
            keys[i] = writes[i].Key;
            mutations[i] = writes[i].Mutation;
        }

        await batchSlots.WaitAsync(cancellationToken);
        try
        {
            UpdateOutcome[] outcomes;
            try
            {
                outcomes = await CoordinateManyWhenRoomAsync(keys, mutations, level, cancellationToken);
            }
            catch (OverloadedException) when (!cancellationToken.IsCancellationRequested)
            {
                var one = new Task<BatchResult>[writes.Count];
                for (var i = 0; i < writes.Count; i++)
                {
                    one[i] = RunWhenRoomAsync(request.Operations[writes[i].Index], request.Consistency, cancellationToken);
                }

                for (var i = 0; i < writes.Count; i++)
                {
                    results[writes[i].Index] = await one[i];
                }

                return;
            }
            catch (Exception e) when (!cancellationToken.IsCancellationRequested)
            {
                var status = StatusMapping.ToStatus(e);
                foreach (var write in writes)
                {
                    results[write.Index] = new BatchResult { Code = (int)status.StatusCode, Message = status.Detail };
                }

                return;
            }

            for (var i = 0; i < writes.Count; i++)
            {
                results[writes[i].Index] = ToResult(mutations[i], outcomes[i]);
            }
        }
        finally
        {
            batchSlots.Release();
        }
    }

    /// <summary>The pause before another attempt at what the coordinator refused as overloaded: longer with each attempt, at most 20 ms.</summary>
    private static Task OverloadPauseAsync(int attempt, CancellationToken cancellationToken) =>
        Task.Delay(TimeSpan.FromMilliseconds(Math.Min(2 * attempt, 20)), cancellationToken);

    /// <summary>Attempts at writes applied together before they run one by one instead.</summary>
    private const int TogetherAttempts = 10;

    /// <summary>
    /// Applies writes together, waiting and trying again while the coordinator has no room for all
    /// of them: batches alone free room for each other quickly, since replication ends soon after.
    /// </summary>
    /// <exception cref="OverloadedException">Still no room after <see cref="TogetherAttempts"/> attempts.</exception>
    private async Task<UpdateOutcome[]> CoordinateManyWhenRoomAsync(byte[][] keys, Mutation[] mutations, ConsistencyLevel level, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await coordinator.CoordinateManyAsync(keys, mutations, level, cancellationToken);
            }
            catch (OverloadedException) when (attempt < TogetherAttempts && !cancellationToken.IsCancellationRequested)
            {
                await OverloadPauseAsync(attempt, cancellationToken);
            }
        }
    }

    /// <summary>A write's result as its own call would have answered it.</summary>
    private static BatchResult ToResult(Mutation mutation, UpdateOutcome outcome)
    {
        if (outcome.Error is { } error)
        {
            var status = StatusMapping.ToStatus(error);
            return new BatchResult { Code = (int)status.StatusCode, Message = status.Detail };
        }

        return mutation switch
        {
            Mutation.Put => new BatchResult { Put = new PutResponse { Context = EncodeContext(outcome.Object!) } },
            Mutation.Delete => new BatchResult { Delete = new DeleteResponse() },
            Mutation.SetAdd => new BatchResult { Set = new SetResponse { Context = EncodeContext(outcome.Object!) } },
            _ => new BatchResult { Set = SetRemoved(outcome.Object) },
        };
    }

    /// <summary>A write of a batch that runs together with others: its index in the request, its key and its mutation.</summary>
    private sealed record TogetherWrite(int Index, byte[] Key, Mutation Mutation);

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

            await OverloadPauseAsync(attempt, cancellationToken);
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
