using System.Threading.Channels;
using Google.Protobuf;
using Grpc.Core;
using KvStore.Cluster.Security;
using KvStore.Protocol.Peer.V1;

namespace KvStore.Server.Peer;

internal sealed partial class PeerGrpcService
{
    /// <summary>Answers one stream's batch may have waiting to be written; the caller's in-flight bound keeps it far below this.</summary>
    private const int MaxQueuedAnswers = 65_536;

    /// <summary>Requests of one stream running at once; reading the stream waits beyond it, which pushes back on the caller through HTTP/2 flow control.</summary>
    private const int MaxRunningPerStream = 8192;

    /// <summary>Answers packed into one envelope at most.</summary>
    private const int MaxAnswersPerEnvelope = 512;

    /// <summary>
    /// Serves one peer's batched stream: every request of every batch runs concurrently, and
    /// answers go back as they finish, packed into envelopes by a single writer.
    /// </summary>
    public override async Task Stream(IAsyncStreamReader<Envelope> requestStream, IServerStreamWriter<Envelope> responseStream, ServerCallContext context)
    {
        var answers = Channel.CreateBounded<(ulong StreamId, ulong Id, PeerResponse Response)>(new BoundedChannelOptions(MaxQueuedAnswers)
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
        var writer = WriteAnswersAsync(answers.Reader, responseStream);
        var running = new List<Task>();
        // Not disposed: requests still running after a broken stream release their slot later.
        var slots = new SemaphoreSlim(MaxRunningPerStream);
        using var reading = CancellationTokenSource.CreateLinkedTokenSource(context.CancellationToken, closing.Token);
        try
        {
            try
            {
                await foreach (var envelope in requestStream.ReadAllAsync(reading.Token))
                {
                    var batch = OpenBatch(envelope);
                    var merges = new MergeRun(batch.StreamId);
                    for (var i = 0; i < batch.Requests.Count; i++)
                    {
                        if (merges.TryAdd(batch.Ids[i], batch.Requests[i]))
                        {
                            continue;
                        }

                        await slots.WaitAsync(context.CancellationToken);
                        running.Add(AnswerAsync(batch.StreamId, batch.Ids[i], batch.Requests[i], answers.Writer, slots, context.CancellationToken));
                    }

                    if (merges.Count > 0)
                    {
                        await slots.WaitAsync(context.CancellationToken);
                        running.Add(AnswerMergesAsync(merges, answers.Writer, slots, context.CancellationToken));
                    }

                    running.RemoveAll(t => t.IsCompleted);
                }
            }
            catch (OperationCanceledException) when (closing.Token.IsCancellationRequested && !context.CancellationToken.IsCancellationRequested)
            {
                // This node left the cluster: answer what was read, then end the stream. The caller
                // fails whatever it sent after that, and routes around this node from now on.
            }

            await Task.WhenAll(running);
        }
        finally
        {
            answers.Writer.TryComplete();
            await writer;
        }
    }

    private async Task AnswerAsync(
        ulong streamId, ulong id, PeerRequest request, ChannelWriter<(ulong, ulong, PeerResponse)> answers, SemaphoreSlim slots, CancellationToken cancellationToken)
    {
        try
        {
            var response = await HandleAsync(request, cancellationToken);
            await answers.WriteAsync((streamId, id, response), cancellationToken);
        }
        finally
        {
            slots.Release();
        }
    }

    /// <summary>
    /// Replication merges of one envelope, applied by one store update (<see cref="ApplyMergesAsync"/>)
    /// so that a message of many merges costs the writer one item, not one per key.
    /// </summary>
    private async Task AnswerMergesAsync(MergeRun run, ChannelWriter<(ulong, ulong, PeerResponse)> answers, SemaphoreSlim slots, CancellationToken cancellationToken)
    {
        try
        {
            PeerError[] errors;
            try
            {
                errors = await ApplyMergesAsync(run.Merges, cancellationToken);
            }
            catch (Exception e) when (ToError(e) is { } error)
            {
                errors = [.. run.Merges.Select(_ => error)];
            }

            for (var i = 0; i < errors.Length; i++)
            {
                var response = errors[i].Code == ErrorCode.Unspecified ? new PeerResponse() : new PeerResponse { Error = errors[i] };
                await answers.WriteAsync((run.StreamId, run.Ids[i], response), cancellationToken);
            }
        }
        finally
        {
            slots.Release();
        }
    }

    /// <summary>The plain replication merges (not hints) gathered from one envelope.</summary>
    private sealed class MergeRun(ulong streamId)
    {
        public ulong StreamId { get; } = streamId;

        public List<ulong> Ids { get; } = [];

        public List<MergeRequest> Merges { get; } = [];

        public int Count => Ids.Count;

        /// <summary>Takes the request into the run if it is a plain merge; false leaves it to the general path.</summary>
        public bool TryAdd(ulong id, PeerRequest request)
        {
            if (request.OpCase != PeerRequest.OpOneofCase.Merge || request.Merge.HintFor.Length != 0)
            {
                return false;
            }

            Ids.Add(id);
            Merges.Add(request.Merge);
            return true;
        }
    }

    private async Task WriteAnswersAsync(ChannelReader<(ulong StreamId, ulong Id, PeerResponse Response)> answers, IServerStreamWriter<Envelope> responseStream)
    {
        var self = membership.Current.SelfId;
        while (await answers.WaitToReadAsync())
        {
            var batch = new PeerBatchResponse();
            while (batch.Ids.Count < MaxAnswersPerEnvelope && answers.TryRead(out var answer))
            {
                if (batch.Ids.Count > 0 && answer.StreamId != batch.StreamId)
                {
                    // A stream carries one stream id; a caller never mixes them, but stay exact if one did.
                    await responseStream.WriteAsync(Seal(self, batch));
                    batch = new PeerBatchResponse();
                }

                batch.StreamId = answer.StreamId;
                batch.Ids.Add(answer.Id);
                batch.Responses.Add(answer.Response);
            }

            await responseStream.WriteAsync(Seal(self, batch));
        }
    }

    private Envelope Seal(string self, PeerBatchResponse batch) =>
        new() { Sealed = UnsafeByteOperations.UnsafeWrap(authenticator.Seal(self, batch.CalculateSize(), batch, PeerMessages.WriteMessage)) };

    private PeerBatch OpenBatch(Envelope envelope)
    {
        var result = authenticator.Open(envelope.Sealed.Span, rememberNonce: false, out _, out var payload);
        if (result != AuthResult.Ok)
        {
            throw Refuse(result);
        }

        PeerBatch batch;
        try
        {
            batch = PeerBatch.Parser.ParseFrom(payload.Span);
        }
        catch (InvalidProtocolBufferException e)
        {
            counters.CountMalformed();
            throw new RpcException(new Status(StatusCode.InvalidArgument, $"peer batch malformed: {e.Message}"));
        }

        if (batch.Ids.Count != batch.Requests.Count)
        {
            counters.CountMalformed();
            throw new RpcException(new Status(StatusCode.InvalidArgument, "peer batch malformed: ids and requests differ in number"));
        }

        // As for single calls: only a batch that coordinates a mutation must not be replayed.
        foreach (var request in batch.Requests)
        {
            if (request.OpCase == PeerRequest.OpOneofCase.Coordinate)
            {
                if (authenticator.RememberNonce(envelope.Sealed.Span) is var replay && replay != AuthResult.Ok)
                {
                    throw Refuse(replay);
                }

                break;
            }
        }

        return batch;
    }
}
