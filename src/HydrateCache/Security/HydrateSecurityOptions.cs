using System.Text;

namespace HydrateCache;

/// <summary>
/// Options of a channel's frame signing (HMAC-SHA256) and payload encryption (AES-GCM). Both are off by default; each
/// turns on when the channel has a current key for it, from <see cref="SigningKeys"/> / <see cref="EncryptionKeys"/> or
/// from a <see cref="KeyProvider"/>. Every instance of a channel must be configured alike (see the README's Security
/// section for the threat model and key rotation).
/// </summary>
/// <remarks>
/// <para>Rotation without downtime, for either purpose, in three phases rolled out one after another to every instance:
/// (1) add the new key to the list, keep writing with the old one (<see cref="CurrentSigningKeyId"/>); (2) write with the
/// new key; (3) remove the old key. Each phase accepts everything the previous and the next phase write.</para>
/// <para><see cref="ToString"/> and serializers show key ids and lengths only, never key material.</para>
/// <para><see href="https://github.com/hydratecache/HydrateCache.Orleans#security">DOCS: Security</see></para>
/// </remarks>
public sealed class HydrateSecurityOptions
{
    /// <summary>Gets the signing keys the channel accepts; it signs with the one named by <see cref="CurrentSigningKeyId"/>.</summary>
    /// <value>Empty by default (no signing). Each key has at least 32 bytes; ids are unique.</value>
    public IList<HydrateKey> SigningKeys { get; } = new List<HydrateKey>();

    /// <summary>Gets or sets the id of the signing key the channel signs with.</summary>
    /// <value>Defaults to <see langword="null"/>: the first of <see cref="SigningKeys"/>.</value>
    public string? CurrentSigningKeyId { get; set; }

    /// <summary>Gets the encryption keys the channel accepts; it encrypts with the one named by <see cref="CurrentEncryptionKeyId"/>.</summary>
    /// <value>Empty by default (payloads in the clear). Each key has 16, 24 or 32 bytes (AES-128/192/256); ids are unique.</value>
    public IList<HydrateKey> EncryptionKeys { get; } = new List<HydrateKey>();

    /// <summary>Gets or sets the id of the encryption key the channel encrypts with.</summary>
    /// <value>Defaults to <see langword="null"/>: the first of <see cref="EncryptionKeys"/>.</value>
    public string? CurrentEncryptionKeyId { get; set; }

    /// <summary>
    /// Gets or sets a value indicating whether a channel that signs drops frames without a signature
    /// (<see cref="HydrateDropReason.Unsigned"/>). Signed frames are verified either way.
    /// </summary>
    /// <value>Defaults to <see langword="true"/>. Set it to <see langword="false"/> only while turning signing on across
    /// running instances (those not yet signing still publish unsigned frames).</value>
    public bool RequireSignature { get; set; } = true;

    /// <summary>Gets or sets a provider of keys (for example one backed by a secret store) instead of the key lists.</summary>
    /// <value>Defaults to <see langword="null"/>. Set either this or the key lists, not both. The Orleans integration sets it
    /// from an <see cref="IHydrateKeyProvider"/> registered in DI (keyed by channel name, or unkeyed for every channel)
    /// when the lists are empty.</value>
    public IHydrateKeyProvider? KeyProvider { get; set; }

    /// <summary>Describes the configuration: key ids and lengths, never key material.</summary>
    /// <returns>A one-line description.</returns>
    public override string ToString()
    {
        var text = new StringBuilder();
        text.Append("Signing: ");
        Describe(text, SigningKeys, CurrentSigningKeyId);
        text.Append("; Encryption: ");
        Describe(text, EncryptionKeys, CurrentEncryptionKeyId);
        text.Append("; RequireSignature: ").Append(RequireSignature);
        if (KeyProvider is not null)
        {
            text.Append("; KeyProvider: ").Append(KeyProvider.GetType().Name);
        }

        return text.ToString();
    }

    private static void Describe(StringBuilder text, IList<HydrateKey> keys, string? current)
    {
        if (keys.Count == 0)
        {
            text.Append("no keys");
            return;
        }

        text.Append("current ").Append(current ?? keys[0].Id).Append(", keys [").AppendJoin(", ", keys).Append(']');
    }

    /// <summary>Gets the key provider these options describe: <see cref="KeyProvider"/>, a key ring of the lists, or <see langword="null"/> when nothing is configured.</summary>
    /// <exception cref="ArgumentException">The configuration is invalid (the message names ids and lengths, never material).</exception>
    internal IHydrateKeyProvider? GetProvider(string channel)
    {
        var hasKeys = SigningKeys.Count > 0 || EncryptionKeys.Count > 0;
        if (KeyProvider is not null && hasKeys)
        {
            throw new ArgumentException($"Channel '{channel}': set either Security.KeyProvider or the Security key lists, not both.");
        }

        return KeyProvider ?? (hasKeys ? new HydrateKeyRing(channel, SigningKeys, CurrentSigningKeyId, EncryptionKeys, CurrentEncryptionKeyId) : null);
    }
}
