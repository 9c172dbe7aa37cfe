using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Threading.Channels;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;
using KvStore.Cluster.Replication;
using KvStore.Cluster.Security;
using KvStore.Protocol.Peer.V1;

namespace KvStore.Server.Peer;

/// <summary>
/// The caller's end of one batched stream to a peer. Callers queue requests; one sender packs
/// whatever is queued into a single sealed envelope (many operations per message), one receiver
/// matches answers to callers by id. Bytes in flight are bounded, so a slow peer makes its callers
/// wait rather than letting queues grow. When the stream breaks every waiting caller fails, and
/// the owner opens a new stream for the next request.
/// </summary>
internal sealed class PeerStream : IAsyncDisposable
{
    /// <summary>Requests packed into one envelope at most.</summary>
    public const int MaxRequestsPerEnvelope = 512;

    private readonly string _peer;
    private readonly string _self;
    private readonly MessageAuthenticator _authenticator;
    private readonly ByteBudget _budget;
    private readonly int _maxEnvelopeBytes;
    private readonly ulong _streamId = BitConverter.ToUInt64(RandomNumberGenerator.GetBytes(8));
    private readonly Channel<Pending> _queue;
    private readonly ConcurrentDictionary<ulong, Pending> _inFlight = new();
    private readonly AsyncDuplexStreamingCall<Envelope, Envelope> _call;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _sender;
    private readonly Task _receiver;
    private long _nextId;
    private int _broken;

    public PeerStream(GrpcChannel channel, string peer, string self, MessageAuthenticator authenticator, long maxInFlightBytes, int maxEnvelopeBytes)
    {
        _peer = peer;
        _self = self;
        _authenticator = authenticator;
        _budget = new ByteBudget(maxInFlightBytes);
        _maxEnvelopeBytes = maxEnvelopeBytes;
        _queue = Channel.CreateUnbounded<Pending>(new UnboundedChannelOptions { SingleReader = true });
        _call = new Protocol.Peer.V1.Peer.PeerClient(channel).Stream(cancellationToken: _stop.Token);
        _sender = Task.Run(SendLoopAsync);
        _receiver = Task.Run(ReceiveLoopAsync);
    }

    /// <summary>False once the stream broke; the owner replaces it.</summary>
    public bool IsUsable => Volatile.Read(ref _broken) == 0;

    /// <summary>Sends one request and waits for its answer.</summary>
    /// <exception cref="PeerUnreachableException">The stream broke or the wait was cancelled; says whether the request was certainly not delivered.</exception>
    public async Task<PeerResponse> SendAsync(PeerRequest request, CancellationToken cancellationToken)
    {
        var size = request.CalculateSize();
        try
        {
            // The queue itself is unbounded in count, but never holds more than the byte budget.
            await _budget.TakeAsync(size, cancellationToken);
        }
        catch (OperationCanceledException e)
        {
            throw new PeerUnreachableException(_peer, "no room in flight in time", notDelivered: true, e);
        }

        var pending = new Pending((ulong)Interlocked.Increment(ref _nextId), request, size);
        if (!IsUsable || !_queue.Writer.TryWrite(pending))
        {
            _budget.Give(size);
            throw new PeerUnreachableException(_peer, "the stream is closed", notDelivered: true);
        }

        using var registration = cancellationToken.Register(static p => ((Pending)p!).Cancel(), pending);
        try
        {
            return await pending.Answer.Task;
        }
        catch (OperationCanceledException e)
        {
            throw new PeerUnreachableException(_peer, "no answer in time", notDelivered: !pending.Sent, e);
        }
    }

    private async Task SendLoopAsync()
    {
        var reader = _queue.Reader;
        var batch = new List<Pending>(MaxRequestsPerEnvelope);
        try
        {
            while (await reader.WaitToReadAsync(_stop.Token))
            {
                var bytes = 0L;
                while (batch.Count < MaxRequestsPerEnvelope && bytes < _maxEnvelopeBytes / 2 && reader.TryRead(out var p))
                {
                    if (p.Answer.Task.IsCompleted)
                    {
                        p.ReturnBudget(_budget);
                        continue;
                    }

                    batch.Add(p);
                    bytes += p.Size;
                }

                if (batch.Count == 0)
                {
                    continue;
                }

                var message = new PeerBatch { StreamId = _streamId };
                foreach (var p in batch)
                {
                    message.Ids.Add(p.Id);
                    message.Requests.Add(p.Request);
                    _inFlight[p.Id] = p;
                    p.Sent = true;
                }

                var envelope = new Envelope { Sealed = UnsafeByteOperations.UnsafeWrap(_authenticator.Seal(_self, message.CalculateSize(), message, PeerMessages.WriteMessage)) };
                await _call.RequestStream.WriteAsync(envelope, _stop.Token);
                batch.Clear();
            }
        }
        catch (Exception e)
        {
            Break(e, batch);
        }
    }

    private async Task ReceiveLoopAsync()
    {
        try
        {
            await foreach (var envelope in _call.ResponseStream.ReadAllAsync(_stop.Token))
            {
                var opened = _authenticator.Open(envelope.Sealed.Span, rememberNonce: false, out var sender, out var payload);
                if (opened != AuthResult.Ok || sender != _peer)
                {
                    throw new PeerUnreachableException(_peer, opened != AuthResult.Ok ? $"its answer did not authenticate ({opened})" : $"the answer came from {sender}");
                }

                var answers = PeerBatchResponse.Parser.ParseFrom(payload.Span);
                if (answers.StreamId != _streamId || answers.Ids.Count != answers.Responses.Count)
                {
                    throw new PeerUnreachableException(_peer, "its answers are not for this stream");
                }

                for (var i = 0; i < answers.Ids.Count; i++)
                {
                    if (_inFlight.TryRemove(answers.Ids[i], out var p))
                    {
                        p.ReturnBudget(_budget);
                        p.Answer.TrySetResult(answers.Responses[i]);
                    }
                }
            }

            throw new PeerUnreachableException(_peer, "the peer closed the stream");
        }
        catch (Exception e)
        {
            Break(e, []);
        }
    }

    /// <summary>Fails every caller still waiting: those whose request was sent may or may not have been served.</summary>
    private void Break(Exception cause, List<Pending> unsent)
    {
        Interlocked.Exchange(ref _broken, 1);
        _queue.Writer.TryComplete();
        _stop.Cancel();
        var reason = cause is RpcException rpc ? $"{rpc.Status.StatusCode}: {rpc.Status.Detail}" : cause.Message;

        // A refused connection means this stream never reached the peer: nothing on it was delivered.
        var refused = cause is RpcException r && PeerMessages.NeverSent(r);
        foreach (var p in unsent)
        {
            _inFlight.TryRemove(p.Id, out _);
            Fail(p, reason, delivered: !refused && p.Sent);
        }

        while (_queue.Reader.TryRead(out var p))
        {
            Fail(p, reason, delivered: false);
        }

        foreach (var id in _inFlight.Keys)
        {
            if (_inFlight.TryRemove(id, out var p))
            {
                Fail(p, reason, delivered: !refused);
            }
        }
    }

    private void Fail(Pending p, string reason, bool delivered)
    {
        p.ReturnBudget(_budget);
        p.Answer.TrySetException(new PeerUnreachableException(_peer, $"the stream broke: {reason}", notDelivered: !delivered));
    }

    public async ValueTask DisposeAsync()
    {
        Break(new ObjectDisposedException(nameof(PeerStream)), []);
        try
        {
            await Task.WhenAll(_sender, _receiver);
        }
        catch (Exception)
        {
            // Already reported to the callers.
        }

        _call.Dispose();
        _stop.Dispose();
    }

    private sealed class Pending(ulong id, PeerRequest request, int size)
    {
        public ulong Id { get; } = id;

        public PeerRequest Request { get; } = request;

        public int Size { get; } = size;

        public TaskCompletionSource<PeerResponse> Answer { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        private int _returned;

        public volatile bool Sent;

        public void Cancel() => Answer.TrySetCanceled();

        /// <summary>Gives the request's bytes back to the budget, once, whichever path ends it.</summary>
        public void ReturnBudget(ByteBudget budget)
        {
            if (Interlocked.Exchange(ref _returned, 1) == 0)
            {
                budget.Give(Size);
            }
        }
    }
}
