using KvStore.Cluster.Security;
using Microsoft.Extensions.Time.Testing;

namespace KvStore.Cluster.Tests.Membership;

public sealed class MessageAuthenticatorTests
{
    private static readonly byte[] KeyA = Enumerable.Range(0, 32).Select(i => (byte)i).ToArray();
    private static readonly byte[] KeyB = Enumerable.Range(50, 40).Select(i => (byte)i).ToArray();
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));

    private MessageAuthenticator Auth(params byte[][] keys) => new(new ClusterKeyRing(keys), _clock, TimeSpan.FromSeconds(60), 4);

    [Fact]
    public void A_sealed_payload_opens_with_its_sender()
    {
        var envelope = Auth(KeyA).Seal("node-1", [1, 2, 3]);
        Assert.Equal(MessageAuthenticator.Overhead("node-1") + 3, envelope.Length);
        Assert.Equal(AuthResult.Ok, Auth(KeyA).Open(envelope, out var sender, out var payload));
        Assert.Equal("node-1", sender);
        Assert.Equal([1, 2, 3], payload.ToArray());
    }

    [Fact]
    public void A_payload_written_into_the_envelope_opens_like_a_copied_one()
    {
        byte[] payload = [9, 8, 7, 6, 5];
        var envelope = Auth(KeyA).Seal("node-1", payload.Length, payload, static (p, destination) => p.CopyTo(destination));
        Assert.Equal(MessageAuthenticator.Overhead("node-1") + payload.Length, envelope.Length);
        Assert.Equal(AuthResult.Ok, Auth(KeyA).Open(envelope, out var sender, out var opened));
        Assert.Equal("node-1", sender);
        Assert.Equal(payload, opened.ToArray());
    }

    [Fact]
    public void Opening_without_the_nonce_leaves_the_replay_check_to_the_caller()
    {
        var auth = Auth(KeyA);
        var envelope = Auth(KeyA).Seal("n", [7]);

        // Idempotent messages may repeat and take no room in the cache.
        Assert.Equal(AuthResult.Ok, auth.Open(envelope, rememberNonce: false, out _, out _));
        Assert.Equal(AuthResult.Ok, auth.Open(envelope, rememberNonce: false, out _, out var payload));
        Assert.Equal([7], payload.ToArray());
        Assert.Equal(0, auth.CachedNonces);

        // The caller checks the ones that matter: the first passes, a repeat is a replay.
        Assert.Equal(AuthResult.Ok, auth.RememberNonce(envelope));
        Assert.Equal(AuthResult.Replayed, auth.RememberNonce(envelope));
        Assert.Equal(AuthResult.Replayed, auth.Open(envelope, out _, out _));
    }

    [Fact]
    public void Any_flipped_bit_or_unknown_key_is_unauthenticated()
    {
        var envelope = Auth(KeyA).Seal("n", [1, 2, 3]);
        for (var i = 6; i < envelope.Length; i++)
        {
            var tampered = (byte[])envelope.Clone();
            tampered[i] ^= 0x01;
            Assert.Equal(AuthResult.Unauthenticated, Auth(KeyA).Open(tampered, out _, out _));
        }

        Assert.Equal(AuthResult.Unauthenticated, Auth(KeyB).Open(envelope, out _, out _));
    }

    [Fact]
    public void Truncated_or_wrong_version_envelopes_are_malformed()
    {
        var envelope = Auth(KeyA).Seal("n", [1]);
        Assert.Equal(AuthResult.Malformed, Auth(KeyA).Open(envelope.AsSpan(0, 20), out _, out _));
        envelope[0] = 9;
        Assert.Equal(AuthResult.Malformed, Auth(KeyA).Open(envelope, out _, out _));
        Assert.Equal(AuthResult.Malformed, Auth(KeyA).Open([], out _, out _));
    }

    [Fact]
    public void Messages_outside_the_window_expire_either_way()
    {
        var sealer = Auth(KeyA);
        var old = sealer.Seal("n", [1]);
        _clock.Advance(TimeSpan.FromSeconds(61));
        Assert.Equal(AuthResult.Expired, Auth(KeyA).Open(old, out _, out _));
        var ahead = new FakeTimeProvider(_clock.GetUtcNow() + TimeSpan.FromSeconds(61));
        var future = new MessageAuthenticator(new ClusterKeyRing([KeyA]), ahead, TimeSpan.FromSeconds(60), 4).Seal("n", [1]);
        Assert.Equal(AuthResult.Expired, Auth(KeyA).Open(future, out _, out _));
        var edge = new MessageAuthenticator(new ClusterKeyRing([KeyA]), new FakeTimeProvider(_clock.GetUtcNow() + TimeSpan.FromSeconds(60)), TimeSpan.FromSeconds(60), 4);
        Assert.Equal(AuthResult.Ok, Auth(KeyA).Open(edge.Seal("n", [1]), out _, out _));
    }

    [Fact]
    public void A_second_copy_is_replayed_until_the_window_passes_and_a_full_cache_refuses()
    {
        var sealer = Auth(KeyA);
        var opener = Auth(KeyA);
        var first = sealer.Seal("n", [1]);
        Assert.Equal(AuthResult.Ok, opener.Open(first, out _, out _));
        Assert.Equal(AuthResult.Replayed, opener.Open(first, out _, out _));

        // Capacity 4: three more fill it; the fifth unexpired message cannot be proven fresh.
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(AuthResult.Ok, opener.Open(sealer.Seal("n", [1]), out _, out _));
        }

        Assert.Equal(AuthResult.Replayed, opener.Open(sealer.Seal("n", [1]), out _, out _));
        Assert.Equal(1, opener.ReplayCacheOverflows);

        // Once the first four expire, their room is reused.
        _clock.Advance(TimeSpan.FromSeconds(61));
        Assert.Equal(AuthResult.Ok, opener.Open(sealer.Seal("n", [1]), out _, out _));
        Assert.Equal(1, opener.CachedNonces);
    }

    [Fact]
    public void A_ring_sends_with_its_first_key_and_accepts_all()
    {
        var newFirst = Auth(KeyB, KeyA);
        var oldFirst = Auth(KeyA, KeyB);
        Assert.Equal(AuthResult.Ok, oldFirst.Open(newFirst.Seal("a", [1]), out _, out _));
        Assert.Equal(AuthResult.Ok, newFirst.Open(oldFirst.Seal("b", [1]), out _, out _));
        Assert.Equal(AuthResult.Ok, Auth(KeyA).Open(oldFirst.Seal("b", [2]), out _, out _));
        Assert.Equal(AuthResult.Unauthenticated, Auth(KeyA).Open(newFirst.Seal("a", [2]), out _, out _));
    }

    [Fact]
    public void Key_ids_are_the_first_four_bytes_of_the_keys_sha256()
    {
        var expected = System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(System.Security.Cryptography.SHA256.HashData(KeyA));
        Assert.Equal(expected, ClusterKeyRing.KeyId(KeyA));
        Assert.Equal(expected, new ClusterKeyRing([KeyA, KeyB]).PrimaryKeyId);
    }

    [Theory]
    [InlineData("", true, null)]
    [InlineData("not base64!", false, "key 1 is not valid base64")]
    [InlineData("AAAA", false, "key 1 decodes to 3 bytes; 32 to 64 are required")]
    public void Key_strings_parse_or_explain(string keys, bool development, string? error)
    {
        var ring = ClusterKeyRing.TryParse(keys, out var usesDevelopmentKey, out var message);
        Assert.Equal(error, message);
        Assert.Equal(error is null, ring is not null);
        Assert.Equal(development, usesDevelopmentKey);
    }

    [Fact]
    public void A_ring_holds_at_most_eight_keys()
    {
        var key = Convert.ToBase64String(KeyA);
        Assert.NotNull(ClusterKeyRing.TryParse(string.Join(",", Enumerable.Repeat(key, 8)), out _, out _));
        Assert.Null(ClusterKeyRing.TryParse(string.Join(",", Enumerable.Repeat(key, 9)), out _, out var error));
        Assert.Equal("at most 8 keys are allowed (got 9)", error);
    }

    [Fact]
    public void A_node_identity_round_trips_through_pkcs8_and_signatures_verify_only_with_its_key()
    {
        using var id = NodeIdentity.Create();
        using var restored = NodeIdentity.FromPkcs8(id.ExportPkcs8());
        using var other = NodeIdentity.Create();
        Assert.Equal(id.PublicKey, restored.PublicKey);
        var sig = restored.Sign([1, 2, 3]);
        Assert.Equal(NodeIdentity.SignatureBytes, sig.Length);
        Assert.True(NodeIdentity.Verify(id.PublicKey, [1, 2, 3], sig));
        Assert.True(id.Verify([1, 2, 3], sig));
        Assert.False(NodeIdentity.Verify(other.PublicKey, [1, 2, 3], sig));
        Assert.False(NodeIdentity.Verify(id.PublicKey, [1, 2, 4], sig));
        Assert.False(NodeIdentity.Verify([1, 2, 3], [1, 2, 3], sig));
    }
}
