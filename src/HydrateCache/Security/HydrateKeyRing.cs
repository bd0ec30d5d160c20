namespace HydrateCache;

/// <summary>The key provider of <see cref="HydrateSecurityOptions"/>' key lists: a fixed current key and the accepted keys, per purpose.</summary>
internal sealed class HydrateKeyRing : IHydrateKeyProvider
{
    private readonly Ring _signing;
    private readonly Ring _encryption;

    public HydrateKeyRing(string channel, IEnumerable<HydrateKey> signingKeys, string? currentSigningKeyId, IEnumerable<HydrateKey> encryptionKeys, string? currentEncryptionKeyId)
    {
        _signing = new Ring(channel, "Security.SigningKeys", signingKeys, currentSigningKeyId);
        _encryption = new Ring(channel, "Security.EncryptionKeys", encryptionKeys, currentEncryptionKeyId);
    }

    public HydrateKey? GetCurrentKey(string channel, HydrateKeyPurpose purpose) => Get(purpose).Current;

    public HydrateKey? FindKey(string channel, HydrateKeyPurpose purpose, string keyId) =>
        Get(purpose).Keys.GetValueOrDefault(keyId);

    private Ring Get(HydrateKeyPurpose purpose) => purpose == HydrateKeyPurpose.Signing ? _signing : _encryption;

    private sealed class Ring
    {
        public Ring(string channel, string option, IEnumerable<HydrateKey> keys, string? currentId)
        {
            foreach (var key in keys)
            {
                ArgumentNullException.ThrowIfNull(key, option);
                if (!Keys.TryAdd(key.Id, key))
                {
                    throw new ArgumentException($"Channel '{channel}': {option} has two keys with id '{key.Id}'.");
                }

                Current ??= key;
            }

            if (currentId is not null)
            {
                Current = Keys.GetValueOrDefault(currentId)
                    ?? throw new ArgumentException($"Channel '{channel}': the current key '{currentId}' is not in {option}.");
            }
        }

        public Dictionary<string, HydrateKey> Keys { get; } = new(StringComparer.Ordinal);

        public HydrateKey? Current { get; }
    }
}
