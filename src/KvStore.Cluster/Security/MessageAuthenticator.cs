using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace KvStore.Cluster.Security;

/// <summary>
/// Seals and opens messages between cluster members with HMAC-SHA256 under the cluster key ring.
/// An envelope is
/// <c>version (1) | key id (4, big-endian) | sender length (1) | sender (UTF-8) | sent-at unix ms (8, LE) | nonce (8) | payload | tag (32)</c>
/// where the tag covers everything before it. The timestamp and the random nonce stop replays: a
/// message outside the window is refused as expired, and a nonce seen within the window as
/// replayed. The cache of nonces is bounded; when it is full of unexpired entries a message is
/// refused rather than the cache grown (an attacker cannot turn it into a memory bomb), and that
/// is counted separately. Thread-safe; the payload is opaque, so gossip and peer RPCs share it.
/// </summary>
public sealed class MessageAuthenticator
{
    /// <summary>The envelope format this build writes and reads.</summary>
    public const byte Version = 1;

    /// <summary>Longest sender name: node ids are at most 64 bytes; the rest is slack.</summary>
    public const int MaxSenderBytes = 255;

    private const int TagBytes = 32;
    private const int FixedBytes = 1 + 4 + 1 + 8 + 8 + TagBytes;

    private readonly ClusterKeyRing _keys;
    private readonly TimeProvider _time;
    private readonly long _windowMs;
    private readonly int _capacity;
    private readonly Lock _gate = new();
    private readonly Dictionary<ulong, long> _seen = [];
    private readonly PriorityQueue<ulong, long> _expiry = new();
    private long _overflows;

    /// <param name="replayWindow">How far a sent-at time may be from this node's clock, either way; also how long a nonce is remembered.</param>
    /// <param name="capacity">Nonces remembered at most.</param>
    public MessageAuthenticator(ClusterKeyRing keys, TimeProvider time, TimeSpan replayWindow, int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(replayWindow, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        _keys = keys;
        _time = time;
        _windowMs = (long)replayWindow.TotalMilliseconds;
        _capacity = capacity;
    }

    /// <summary>Bytes an envelope adds to a payload from <paramref name="sender"/>.</summary>
    public static int Overhead(string sender) => FixedBytes + Encoding.UTF8.GetByteCount(sender);

    /// <summary>Messages refused because the nonce cache was full of unexpired entries.</summary>
    public long ReplayCacheOverflows => Interlocked.Read(ref _overflows);

    /// <summary>Nonces currently remembered.</summary>
    public int CachedNonces
    {
        get
        {
            lock (_gate)
            {
                return _seen.Count;
            }
        }
    }

    public byte[] Seal(string sender, ReadOnlySpan<byte> payload)
    {
        var (envelope, at) = StartEnvelope(sender, payload.Length);
        payload.CopyTo(envelope.AsSpan(at));
        return FinishEnvelope(envelope, at + payload.Length);
    }

    /// <summary>
    /// Seals a payload of <paramref name="payloadLength"/> bytes that <paramref name="write"/> puts
    /// straight into the envelope, so a serialized message is not copied a second time.
    /// </summary>
    public byte[] Seal<TState>(string sender, int payloadLength, TState state, PayloadWriter<TState> write)
    {
        var (envelope, at) = StartEnvelope(sender, payloadLength);
        write(state, envelope.AsSpan(at, payloadLength));
        return FinishEnvelope(envelope, at + payloadLength);
    }

    /// <summary>Writes exactly the payload length it was given into <paramref name="destination"/>.</summary>
    public delegate void PayloadWriter<in TState>(TState state, Span<byte> destination);

    private (byte[] Envelope, int PayloadAt) StartEnvelope(string sender, int payloadLength)
    {
        var senderLength = Encoding.UTF8.GetByteCount(sender);
        if (senderLength is 0 or > MaxSenderBytes)
        {
            throw new ArgumentException($"a sender name is 1 to {MaxSenderBytes} bytes of UTF-8", nameof(sender));
        }

        var envelope = new byte[FixedBytes + senderLength + payloadLength];
        var span = envelope.AsSpan();
        span[0] = Version;
        BinaryPrimitives.WriteUInt32BigEndian(span[1..], _keys.PrimaryKeyId);
        span[5] = (byte)senderLength;
        var at = 6;
        at += Encoding.UTF8.GetBytes(sender, span[at..]);
        BinaryPrimitives.WriteInt64LittleEndian(span[at..], _time.GetUtcNow().ToUnixTimeMilliseconds());
        at += 8;
        RandomNumberGenerator.Fill(span.Slice(at, 8));
        return (envelope, at + 8);
    }

    private byte[] FinishEnvelope(byte[] envelope, int signedLength)
    {
        var span = envelope.AsSpan();
        HMACSHA256.HashData(_keys.PrimaryKey, span[..signedLength], span[signedLength..]);
        return envelope;
    }

    public AuthResult Open(ReadOnlySpan<byte> envelope, out string sender, out ReadOnlyMemory<byte> payload) =>
        Open(envelope, rememberNonce: true, out sender, out payload);

    /// <summary>
    /// Opens an envelope; with <paramref name="rememberNonce"/> false the replay cache is neither
    /// consulted nor filled. For messages whose repetition is harmless (a CRDT merge, a read, a
    /// reply on our own connection): at replication rates they would fill any bounded cache, and
    /// the caller can still check one that matters with <see cref="RememberNonce"/>.
    /// </summary>
    public AuthResult Open(ReadOnlySpan<byte> envelope, bool rememberNonce, out string sender, out ReadOnlyMemory<byte> payload)
    {
        sender = "";
        payload = ReadOnlyMemory<byte>.Empty;
        if (envelope.Length < FixedBytes + 1 || envelope[0] != Version)
        {
            return AuthResult.Malformed;
        }

        var senderLength = envelope[5];
        if (senderLength == 0 || envelope.Length < FixedBytes + senderLength)
        {
            return AuthResult.Malformed;
        }

        var signedLength = envelope.Length - TagBytes;
        if (!_keys.TryGetKey(BinaryPrimitives.ReadUInt32BigEndian(envelope[1..]), out var key))
        {
            return AuthResult.Unauthenticated;
        }

        Span<byte> tag = stackalloc byte[TagBytes];
        HMACSHA256.HashData(key, envelope[..signedLength], tag);
        if (!CryptographicOperations.FixedTimeEquals(tag, envelope[signedLength..]))
        {
            return AuthResult.Unauthenticated;
        }

        string name;
        try
        {
            name = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(envelope.Slice(6, senderLength));
        }
        catch (ArgumentException)
        {
            return AuthResult.Malformed;
        }

        var at = 6 + senderLength;
        var sentAt = BinaryPrimitives.ReadInt64LittleEndian(envelope[at..]);
        var nonce = BinaryPrimitives.ReadUInt64LittleEndian(envelope[(at + 8)..]);
        var now = _time.GetUtcNow().ToUnixTimeMilliseconds();
        if (sentAt < now - _windowMs || sentAt > now + _windowMs)
        {
            return AuthResult.Expired;
        }

        if (rememberNonce && !Remember(nonce, sentAt + _windowMs, now))
        {
            return AuthResult.Replayed;
        }

        sender = name;
        payload = envelope[(at + 16)..signedLength].ToArray();
        return AuthResult.Ok;
    }

    /// <summary>
    /// The replay check for an envelope that <see cref="Open(ReadOnlySpan{byte}, bool, out string, out ReadOnlyMemory{byte})"/>
    /// already authenticated without it: <see cref="AuthResult.Replayed"/> if its nonce was seen
    /// within the window (or the cache is full), else remembers it.
    /// </summary>
    public AuthResult RememberNonce(ReadOnlySpan<byte> openedEnvelope)
    {
        var at = 6 + openedEnvelope[5];
        var sentAt = BinaryPrimitives.ReadInt64LittleEndian(openedEnvelope[at..]);
        var nonce = BinaryPrimitives.ReadUInt64LittleEndian(openedEnvelope[(at + 8)..]);
        return Remember(nonce, sentAt + _windowMs, _time.GetUtcNow().ToUnixTimeMilliseconds()) ? AuthResult.Ok : AuthResult.Replayed;
    }

    /// <summary>Records a nonce until <paramref name="expiresAt"/>; false if it is known or there is no room.</summary>
    private bool Remember(ulong nonce, long expiresAt, long now)
    {
        lock (_gate)
        {
            // A nonce can only be replayed while its message is inside the window, so an entry is
            // needed exactly until sent-at + window; evict those first.
            while (_expiry.TryPeek(out var old, out var until) && until < now)
            {
                _expiry.Dequeue();
                if (_seen.TryGetValue(old, out var recorded) && recorded == until)
                {
                    _seen.Remove(old);
                }
            }

            if (_seen.ContainsKey(nonce))
            {
                return false;
            }

            if (_seen.Count >= _capacity)
            {
                Interlocked.Increment(ref _overflows);
                return false;
            }

            _seen.Add(nonce, expiresAt);
            _expiry.Enqueue(nonce, expiresAt);
            return true;
        }
    }
}
