using System.Security.Cryptography;

namespace KvStore.Cluster.Security;

/// <summary>
/// A node's own signing key (ECDSA P-256). The cluster key proves that a sender belongs to the
/// cluster, but any member could still claim that another node is alive at an incarnation it never
/// reached, and so keep a dead node on everyone's ring or point its id at another address (an
/// eclipse). Alive and left records are therefore signed by the node they describe, and receivers
/// bind each id to the first public key they see for it.
/// </summary>
public sealed class NodeIdentity : IDisposable
{
    /// <summary>Bytes of a signature in the IEEE P1363 form used here (r || s).</summary>
    public const int SignatureBytes = 64;

    private readonly ECDsa _key;

    private NodeIdentity(ECDsa key)
    {
        _key = key;
        PublicKey = key.ExportSubjectPublicKeyInfo();
    }

    /// <summary>The public key as DER SubjectPublicKeyInfo: what an alive record carries.</summary>
    public byte[] PublicKey { get; }

    public static NodeIdentity Create() => new(ECDsa.Create(ECCurve.NamedCurves.nistP256));

    /// <summary>Loads a key written by <see cref="ExportPkcs8"/>.</summary>
    /// <exception cref="CryptographicException">Not a P-256 private key.</exception>
    public static NodeIdentity FromPkcs8(ReadOnlySpan<byte> pkcs8)
    {
        var key = ECDsa.Create();
        try
        {
            key.ImportPkcs8PrivateKey(pkcs8, out _);
            if (key.KeySize != 256)
            {
                throw new CryptographicException($"a node key must be P-256 (this one has {key.KeySize} bits)");
            }

            return new NodeIdentity(key);
        }
        catch
        {
            key.Dispose();
            throw;
        }
    }

    /// <summary>The private key in PKCS#8, for the server to keep in the data directory.</summary>
    public byte[] ExportPkcs8() => _key.ExportPkcs8PrivateKey();

    public byte[] Sign(ReadOnlySpan<byte> data) =>
        _key.SignData(data, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);

    public bool Verify(ReadOnlySpan<byte> data, ReadOnlySpan<byte> signature) =>
        _key.VerifyData(data, signature, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);

    /// <summary>Checks a signature against a public key in SubjectPublicKeyInfo form; false for a malformed key too.</summary>
    public static bool Verify(ReadOnlySpan<byte> publicKey, ReadOnlySpan<byte> data, ReadOnlySpan<byte> signature)
    {
        if (signature.Length != SignatureBytes)
        {
            return false;
        }

        using var key = ECDsa.Create();
        try
        {
            key.ImportSubjectPublicKeyInfo(publicKey, out var read);
            if (read != publicKey.Length || key.KeySize != 256)
            {
                return false;
            }
        }
        catch (CryptographicException)
        {
            return false;
        }

        return key.VerifyData(data, signature, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
    }

    public void Dispose() => _key.Dispose();
}
