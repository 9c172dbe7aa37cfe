namespace KvStore.Cluster.Security;

/// <summary>The outcome of opening a sealed envelope. Values are explicit and append-only.</summary>
public enum AuthResult : byte
{
    /// <summary>Authentic, fresh and not seen before.</summary>
    Ok = 1,

    /// <summary>Not an envelope of a known version: too short, or a field runs past the end.</summary>
    Malformed = 2,

    /// <summary>Sealed with a key not on the ring, or the tag does not match.</summary>
    Unauthenticated = 3,

    /// <summary>Sent further in the past or future than the replay window allows.</summary>
    Expired = 4,

    /// <summary>
    /// Its nonce was already seen within the window, or the nonce cache is full of unexpired
    /// entries and freshness cannot be proven (the authenticator counts that case separately).
    /// </summary>
    Replayed = 5,
}
