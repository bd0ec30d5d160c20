namespace HydrateCache;

/// <summary>What a <see cref="HydrateKey"/> is used for.</summary>
public enum HydrateKeyPurpose
{
    /// <summary>Signing frames with HMAC-SHA256 (keys of at least 32 bytes).</summary>
    Signing,

    /// <summary>Encrypting payloads with AES-GCM (keys of 16, 24 or 32 bytes).</summary>
    Encryption,
}
