using System.Collections.Concurrent;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;
using KvStore.Cluster;
using KvStore.Cluster.AntiEntropy;
using KvStore.Cluster.Membership;
using KvStore.Cluster.Replication;
using KvStore.Cluster.Security;
using KvStore.Cluster.Tombstones;
using KvStore.Core.AntiEntropy;
using KvStore.Core.Crdt;
using KvStore.Core.Membership;
using KvStore.Core.Serialization;
using KvStore.Storage;
using KvStore.Protocol.Peer.V1;
using Microsoft.Extensions.Options;

namespace KvStore.Server.Peer;

/// <summary>
/// Reaches other nodes over the peer gRPC service: one long-lived HTTP/2 channel per member,
/// multiplexing every concurrent call, each call one sealed envelope each way.
/// </summary>
internal sealed partial class GrpcPeerTransport : IPeerTransport, IAntiEntropyTransport, ITombstoneTransport, IPushPullChannel, IDisposable
{
    private readonly MessageAuthenticator _authenticator;
    private readonly Func<string> _selfId;
    private readonly ReplicationOptions _options;
    private readonly int _maxChannels;
    private readonly DecodeLimits _objectLimits;
    private readonly int _maxMessageBytes;
    private readonly ConcurrentDictionary<string, Lazy<GrpcChannel>> _channels = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, PeerStream> _streams = new(StringComparer.Ordinal);

    public GrpcPeerTransport(MessageAuthenticator authenticator, Func<string> selfId, IOptions<ReplicationOptions> options, int maxChannels, DecodeLimits objectLimits, int maxMessageBytes)
    {
        _maxMessageBytes = maxMessageBytes;
        _authenticator = authenticator;
        _selfId = selfId;
        _options = options.Value;
        _maxChannels = maxChannels;
        _objectLimits = objectLimits;
    }

    public async Task<KvObject?> CoordinateAsync(Member target, byte[] key, Mutation mutation, ConsistencyLevel level, CancellationToken cancellationToken)
    {
        var request = new PeerRequest
        {
            Coordinate = new CoordinateRequest
            {
                Key = UnsafeByteOperations.UnsafeWrap(key),
                Mutation = PeerMessages.ToMessage(mutation),
                Consistency = (int)level,

                // The coordinator waits this long for a forwarded write (Coordinator.WriteAsync).
                ExpiresUnixMs = (DateTimeOffset.UtcNow + (_options.PeerTimeout * Coordinator.ForwardTimeoutFactor)).ToUnixTimeMilliseconds(),
            },
        };
        var response = await CallAsync(target, request, cancellationToken);
        return Decode(target, response.Object);
    }

    public async Task<ReplicaRead> ReadAsync(Member target, byte[] key, bool includeHints, CancellationToken cancellationToken)
    {
        var request = new PeerRequest { Read = new ReadRequest { Key = UnsafeByteOperations.UnsafeWrap(key), IncludeHints = includeHints } };
        var response = await CallAsync(target, request, cancellationToken);
        var held = response.Hints.Select(h => new Hint(h.Target, key, Decode(target, h.Object)!)).ToList();
        return new ReplicaRead(Decode(target, response.Object), held);
    }

    public async Task MergeAsync(Member target, byte[] key, KvObject obj, string? hintFor, CancellationToken cancellationToken)
    {
        var request = new PeerRequest
        {
            Merge = new MergeRequest { Key = UnsafeByteOperations.UnsafeWrap(key), Object = PeerMessages.Object(obj), HintFor = hintFor ?? "" },
        };
        await CallAsync(target, request, cancellationToken);
    }

    /// <summary>
    /// Sends the merges as merge-many requests, each kept to a quarter of the peer message limit
    /// (an object is at most Storage:MaxObjectBytes, well below it), so a batch of large values
    /// travels as several messages.
    /// </summary>
    public async Task<Exception?[]> MergeManyAsync(Member target, IReadOnlyList<byte[]> keys, IReadOnlyList<KvObject> objects, CancellationToken cancellationToken)
    {
        var errors = new Exception?[keys.Count];
        var sends = new List<Task>();
        var request = new MergeManyRequest();
        var first = 0;
        var bytes = 0L;
        for (var i = 0; i < keys.Count; i++)
        {
            var merge = new MergeRequest { Key = UnsafeByteOperations.UnsafeWrap(keys[i]), Object = PeerMessages.Object(objects[i]) };
            request.Merges.Add(merge);
            bytes += merge.CalculateSize() + 8;
            if (bytes >= _maxMessageBytes / 4 || i == keys.Count - 1)
            {
                sends.Add(SendMergesAsync(target, request, first, errors, cancellationToken));
                request = new MergeManyRequest();
                first = i + 1;
                bytes = 0;
            }
        }

        await Task.WhenAll(sends);
        return errors;
    }

    private async Task SendMergesAsync(Member target, MergeManyRequest merges, int first, Exception?[] errors, CancellationToken cancellationToken)
    {
        var request = new PeerRequest { MergeMany = merges };
        try
        {
            var response = await CallAsync(target, request, cancellationToken);
            if (response.MergeErrors.Count != merges.Merges.Count)
            {
                throw new PeerUnreachableException(target.Id, $"it answered {response.MergeErrors.Count} of {merges.Merges.Count} merges", notDelivered: false);
            }

            for (var i = 0; i < response.MergeErrors.Count; i++)
            {
                if (response.MergeErrors[i] is { Code: not ErrorCode.Unspecified } error)
                {
                    errors[first + i] = ToException(target, error, request.OpCase);
                }
            }
        }
        catch (Exception e) when (e is PeerUnreachableException or MutationRejectedException or RequestRejectedException)
        {
            for (var i = 0; i < merges.Merges.Count; i++)
            {
                errors[first + i] = e;
            }
        }
    }

    public async Task<ulong[]> TreeNodesAsync(Member target, HashRanges ranges, int depth, IReadOnlyList<int> parents, CancellationToken cancellationToken)
    {
        var tree = new TreeRequest { Depth = (uint)depth };
        tree.Ranges.AddRange(ranges.ToPairs());
        tree.Parents.AddRange(parents.Select(p => (uint)p));
        var response = await CallAsync(target, new PeerRequest { Tree = tree }, cancellationToken);
        return response.NodeHashes.ToArray();
    }

    public async Task<KeyHashPage> KeyHashesAsync(Member target, HashRanges ranges, IReadOnlyList<int> segments, byte[]? after, int max, CancellationToken cancellationToken)
    {
        var request = new KeyHashesRequest { After = after is null ? ByteString.Empty : UnsafeByteOperations.UnsafeWrap(after), Max = (uint)max };
        request.Ranges.AddRange(ranges.ToPairs());
        request.Segments.AddRange(segments.Select(s => (uint)s));
        var response = await CallAsync(target, new PeerRequest { KeyHashes = request }, cancellationToken);
        return new KeyHashPage(response.KeyHashes.Select(e => (e.Key.ToByteArray(), e.Hash)).ToList(), response.More);
    }

    public async Task<byte[]> ExchangeAsync(string address, byte[] sealedRequest, CancellationToken cancellationToken)
    {
        var client = new Protocol.Peer.V1.Peer.PeerClient(Channel(address));
        try
        {
            var reply = await client.PushPullAsync(new Envelope { Sealed = UnsafeByteOperations.UnsafeWrap(sealedRequest) }, cancellationToken: cancellationToken);
            return reply.Sealed.ToByteArray();
        }
        catch (RpcException e)
        {
            throw new PeerUnreachableException(address, $"push-pull failed: {e.Status.StatusCode} {e.Status.Detail}", PeerMessages.NeverSent(e), e);
        }
    }

    /// <summary>
    /// Closes the channels of addresses no member has any more, so the channel table stays as small
    /// as the member table. Called from membership's change event, which holds membership's lock:
    /// the closing itself happens off that thread.
    /// </summary>
    public void Retain(MembershipView view)
    {
        var addresses = view.Members.Select(m => m.Address).ToHashSet(StringComparer.Ordinal);
        var closing = new List<GrpcChannel>();
        foreach (var (address, channel) in _channels)
        {
            if (!addresses.Contains(address) && _channels.TryRemove(address, out _) && channel.IsValueCreated)
            {
                closing.Add(channel.Value);
            }
        }

        var ids = view.Members.Select(m => m.Id + "@" + m.Address).ToHashSet(StringComparer.Ordinal);
        var endings = new List<PeerStream>();
        foreach (var (key, stream) in _streams)
        {
            if (!ids.Contains(key) && _streams.TryRemove(key, out _))
            {
                endings.Add(stream);
            }
        }

        if (closing.Count > 0 || endings.Count > 0)
        {
            _ = Task.Run(async () =>
            {
                foreach (var stream in endings)
                {
                    await stream.DisposeAsync();
                }

                closing.ForEach(c => c.Dispose());
            });
        }
    }

    public void Dispose()
    {
        foreach (var stream in _streams.Values)
        {
            stream.DisposeAsync().AsTask().GetAwaiter().GetResult();
        }

        _streams.Clear();
        foreach (var channel in _channels.Values)
        {
            if (channel.IsValueCreated)
            {
                channel.Value.Dispose();
            }
        }

        _channels.Clear();
    }

    private async Task<PeerResponse> CallAsync(Member target, PeerRequest request, CancellationToken cancellationToken)
    {
        var response = await Stream(target).SendAsync(request, cancellationToken);
        if (response.Error is { } error)
        {
            throw ToException(target, error, request.OpCase);
        }

        return response;
    }

    private static Exception ToException(Member target, PeerError error, PeerRequest.OpOneofCase op) =>
            error.Code switch
            {
                ErrorCode.WrongType => new MutationRejectedException(RejectReason.WrongType, error.Message),
                ErrorCode.LimitExceeded => new MutationRejectedException(RejectReason.LimitExceeded, error.Message),
                ErrorCode.ClockDrift or ErrorCode.Invalid => new RequestRejectedException(error.Message),

                // An overloaded peer refused before doing anything.
                ErrorCode.Overloaded => new PeerUnreachableException(target.Id, error.Message, notDelivered: true),

                // A coordinating replica that missed its quorum has stored the write: trying another
                // replica would apply it a second time, so the client hears what happened.
                ErrorCode.Unavailable when op == PeerRequest.OpOneofCase.Coordinate => new ReplicaUnavailableException(error.Message),
                _ => new PeerUnreachableException(target.Id, error.Message),
            };

    private KvObject? Decode(Member from, ByteString bytes)
    {
        try
        {
            return PeerMessages.Object(bytes, _objectLimits);
        }
        catch (MalformedDataException e)
        {
            throw new PeerUnreachableException(from.Id, $"it sent an object that does not decode: {e.Message}", notDelivered: false, e);
        }
    }

    /// <summary>The open stream to the member, or a new one when there is none or it broke.</summary>
    private PeerStream Stream(Member target)
    {
        var key = target.Id + "@" + target.Address;
        if (_streams.TryGetValue(key, out var stream) && stream.IsUsable)
        {
            return stream;
        }

        lock (_streams)
        {
            if (_streams.TryGetValue(key, out stream) && stream.IsUsable)
            {
                return stream;
            }

            if (stream is not null)
            {
                _ = stream.DisposeAsync().AsTask();
            }

            var channel = Channel(target.Address);
            stream = new PeerStream(channel, target.Id, _selfId(), _authenticator, _options.MaxInFlightBytesPerPeer, _maxMessageBytes);
            _streams[key] = stream;
            return stream;
        }
    }

    private GrpcChannel Channel(string address)
    {
        if (_channels.Count >= _maxChannels && !_channels.ContainsKey(address))
        {
            throw new PeerUnreachableException(address, $"this node already keeps {_maxChannels} peer channels", notDelivered: true);
        }

        return _channels.GetOrAdd(address, a => new Lazy<GrpcChannel>(() => Open(a))).Value;
    }

    private GrpcChannel Open(string address) => GrpcChannel.ForAddress($"http://{address}", new GrpcChannelOptions
    {
        HttpHandler = new SocketsHttpHandler
        {
            // One connection carries all calls to a peer until its stream limit, then more open.
            EnableMultipleHttp2Connections = true,
            PooledConnectionIdleTimeout = Timeout.InfiniteTimeSpan,
            KeepAlivePingDelay = TimeSpan.FromSeconds(20),
            KeepAlivePingTimeout = TimeSpan.FromSeconds(10),
            ConnectTimeout = _options.PeerTimeout,
        },
        MaxReceiveMessageSize = _maxMessageBytes,
        MaxSendMessageSize = _maxMessageBytes,
    });
}
